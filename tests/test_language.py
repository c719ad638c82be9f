"""Every article gets an ISO 639-1 language, detected offline."""
from __future__ import annotations

from corpus.language import article_language, detect_language, normalise_language


def test_detects_common_news_languages():
    assert detect_language("Russia said it would sharply reduce military activity near Kyiv "
                           "and Chernihiv after the talks in Istanbul.") == "en"
    assert detect_language("Россия заявила, что резко сократит военную активность под Киевом "
                           "и Черниговом после переговоров в Стамбуле.") == "ru"
    assert detect_language("Росія заявила, що різко скоротить військову активність під Києвом "
                           "і Черніговом після переговорів у Стамбулі.") == "uk"
    assert detect_language("1,351") == ""  # nothing to decide on


def test_declared_language_fills_in_only_where_the_text_cannot_decide():
    assert normalise_language("en-GB") == "en" and normalise_language("english") == ""
    assert article_language("en", "Переговоры", "Россия заявила о сокращении активности под "
                            "Киевом и Черниговом.") == "ru"
    assert article_language("de", "", "42") == "de"
