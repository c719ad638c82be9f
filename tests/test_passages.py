from __future__ import annotations

from compare.text.passages import split_passages
from corpus.records import Article

TEXT = (
    "ISTANBUL — Russia said on Tuesday it would reduce military activity near Kyiv and "
    "Chernihiv. Mr. Medinsky called the talks “constructive” at 5 p.m. local time.\n\n"
    "“This is not a ceasefire,” Vladimir Medinsky told reporters after the meeting.\n\n"
    "Sign up for our daily newsletter here.\n\n"
    "Feel free to repost and share widely.\n\n"
    "The U.S. said it would judge Moscow by its actions, not its words."
)


def _article(text: str = TEXT) -> Article:
    return Article(article_id="a1", source_id="s1", outlet="O", url="", title="T", text=text)


def test_offsets_index_the_stored_text_exactly():
    passages = split_passages(_article())
    assert len(passages) == 4
    for p in passages:
        assert TEXT[p.char_start : p.char_end] == p.text
    assert passages[1].text.startswith("Mr. Medinsky")  # "Mr." did not end a sentence
    assert passages[3].text.startswith("The U.S. said")


def test_boilerplate_is_dropped():
    texts = " ".join(p.text for p in split_passages(_article()))
    assert "newsletter" not in texts and "repost" not in texts


def test_quotes_and_speakers_are_marked():
    quote = split_passages(_article())[2]
    assert quote.is_quote
    assert "Medinsky" in quote.speaker


def test_ids_are_stable_and_unique():
    first = [p.passage_id for p in split_passages(_article())]
    assert first == [p.passage_id for p in split_passages(_article())]
    assert len(set(first)) == len(first)


def test_a_long_paragraph_mentioning_subscribe_is_kept():
    para = ("Officials said that readers who subscribe to the ministry's channel would see the "
            "statement first, and that the delegations would meet again in Istanbul next week "
            "to discuss neutrality, security guarantees, the status of Crimea and the Donbas, "
            "humanitarian corridors from Mariupol, and a possible meeting of the two presidents.")
    assert split_passages(_article(para))


def test_long_paragraphs_are_cut_safely_and_offsets_hold():
    sentence = ("Mr. Podolyak said the U.S. and Turkey could guarantee the treaty at 5 p.m. "
                "on Tuesday, and the delegations agreed to meet again. ")
    text = sentence * 60  # one newline-free paragraph of ~7,700 characters
    passages = split_passages(_article(text))
    assert len(passages) == 60
    assert all(p.text == sentence.strip() for p in passages)
    for p in passages:
        assert text[p.char_start : p.char_end] == p.text


def _spans(text: str) -> list[str]:
    """The passage texts of ``text``, as :func:`compare.text.passages.passage_spans` cuts them."""
    from compare.text.passages import passage_spans

    return [text[a:b] for a, b, _q, _s in passage_spans(text)]


def test_sentences_glued_by_scraping_are_cut_and_offsets_hold():
    text = ("Zelensky thanked everyone for their work.”Those words were heard in Kyiv. The "
            "losses piled up.Western officials said so. The U.S.Army stayed, Lenta.ru wrote. "
            "Crimea was annexed in 2014.Russia also said it was willing to meet at 12.30 today. "
            "The U.S. was skeptical.A Russian strike hit Mykolaiv on Tuesday.")
    assert _spans(text) == ["Zelensky thanked everyone for their work.”", "Those words were heard in Kyiv.",
                     "The losses piled up.", "Western officials said so.",
                     "The U.S.Army stayed, Lenta.ru wrote.", "Crimea was annexed in 2014.",
                     "Russia also said it was willing to meet at 12.30 today.",
                     "The U.S. was skeptical.", "A Russian strike hit Mykolaiv on Tuesday."]


def test_split_once_per_text_and_splitter(tmp_path):
    import pandas as pd

    from compare.text.passages import split_cached
    from corpus.store import Store

    articles = pd.DataFrame({"article_id": ["a1", "a2"], "content_hash": ["h", "h"],
                             "text": ["One sentence here. And a second one here."] * 2})
    with Store(tmp_path / "s.db") as store:
        first, split = split_cached(store, articles)
        again, split_again = split_cached(store, articles)
    assert split == 1 and split_again == 0  # two articles, one distinct text
    pd.testing.assert_frame_equal(first, again)
    assert first["passage_id"].nunique() == 4  # ids still differ per article


def test_texts_the_deduplicator_calls_one_keep_their_own_passages(tmp_path):
    """Two copies of a wire story that differ only in spacing and paragraph breaks have one
    content hash (the de-duplicator normalises them) but not one set of offsets: each
    article's passages are cut from its own text."""
    import pandas as pd

    from compare.text.passages import split_cached
    from corpus.dedupe import content_hash
    from corpus.store import Store

    tight = "Talks resumed in Istanbul on Tuesday. Both delegations met for three hours."
    loose = "Talks  resumed in Istanbul on Tuesday.\n\nBoth delegations   met for three hours."
    assert content_hash(tight) == content_hash(loose)
    articles = pd.DataFrame({"article_id": ["a1", "a2"], "text": [tight, loose],
                             "content_hash": [content_hash(tight)] * 2})
    with Store(tmp_path / "s.db") as store:
        for _ in range(2):  # split now, then read back from the cache
            passages, _ = split_cached(store, articles)
            words = [" ".join(t.split()) for t in passages["text"]]
            assert words == ["Talks resumed in Istanbul on Tuesday.",
                             "Both delegations met for three hours."] * 2
            for row in passages.itertuples():
                text = tight if row.article_id == "a1" else loose
                assert text[row.char_start:row.char_end] == row.text


def test_inline_photo_captions_and_credits_are_not_passages():
    text = ("The talks ended as Moscow had demanded.ImageMr. Abramovich leaving the talks "
            "Tuesday.Credit...Kemal Aslan/ReutersOn the eve of the talks, reports emerged of a "
            "poisoning. Images of the strike spread.ImageA disabled Russian armored vehicle.Credit"
            "...Daniel Berehulak for The New York Times“We are defending our land,” he said.\n\n"
            "Representative Blake Farenthold at the Capitol.CreditJoshua Roberts/Reuters\n\n"
            "Credit Suisse said on Monday that it would cut jobs.")
    assert _spans(text) == ["The talks ended as Moscow had demanded.",
                     "On the eve of the talks, reports emerged of a poisoning.",
                     "Images of the strike spread.", "“We are defending our land,” he said.",
                     "Credit Suisse said on Monday that it would cut jobs."]


def test_a_sentence_that_only_points_back_joins_the_one_it_points_to():
    text = ("Россия резко сократит военную активность под Киевом и Черниговом. Об этом заявил "
            "замминистра обороны Александр Фомин, передает ТАСС.\n\n"
            "Об этом стало известно во вторник. Переговоры продолжатся в среду.")
    assert _spans(text) == [("Россия резко сократит военную активность под Киевом и Черниговом. Об этом "
                     "заявил замминистра обороны Александр Фомин, передает ТАСС."),
                     "Об этом стало известно во вторник.", "Переговоры продолжатся в среду."]


def test_words_that_only_look_like_captions_or_credits_stay():
    text = ("CreditSights analysts said the bank would cut its dividend.\n\n"
            "ImageMagick converts files between formats. It is free software.\n\n"
            "ImageA flooded street in Valencia on Tuesday.Credit...Ana Ruiz/ReutersRescue teams "
            "reached the town overnight.")
    assert _spans(text) == ["CreditSights analysts said the bank would cut its dividend.",
                     "ImageMagick converts files between formats.", "It is free software.",
                     "Rescue teams reached the town overnight."]


def test_chinese_and_japanese_sentences_are_counted_by_their_characters():
    # Unspaced scripts: a whole sentence is one run of letters. Counted as one word, every short
    # sentence was a fragment, merged into the next or dropped with its fact (a Chinese report
    # of three sentences kept one passage).
    text = ("周一，沿海城市阿雷格里港发生6.1级地震，造成12人死亡、数十人受伤。\n\n"
            "市长表示，救援队整夜在倒塌的建筑物中搜寻。\n\n政府宣布全国哀悼三天。\n\n图片\n\n"
            "政府は三日間の国民服喪を宣言した。本当ですか？")
    assert _spans(text) == ["周一，沿海城市阿雷格里港发生6.1级地震，造成12人死亡、数十人受伤。",
                            "市长表示，救援队整夜在倒塌的建筑物中搜寻。", "政府宣布全国哀悼三天。",
                            "政府は三日間の国民服喪を宣言した。", "本当ですか？"]


def test_sentence_ends_of_other_scripts_end_a_passage():
    # The English segmenter knows neither the danda nor the Arabic question mark: a Hindi
    # paragraph was one passage.
    hindi = ("सोमवार को तटीय शहर में 6.1 तीव्रता का भूकंप आया। बचाव दल पूरी रात मलबे में खोजते रहे। "
             "सरकार ने तीन दिन के राष्ट्रीय शोक की घोषणा की।")
    assert _spans(hindi) == ["सोमवार को तटीय शहर में 6.1 तीव्रता का भूकंप आया।",
                             "बचाव दल पूरी रात मलबे में खोजते रहे।",
                             "सरकार ने तीन दिन के राष्ट्रीय शोक की घोषणा की।"]
    arabic = "هل كانت هناك تحذيرات مسبقة من الزلزال؟ قالت رئيسة البلدية إن فرق الإنقاذ تبحث."
    assert _spans(arabic) == ["هل كانت هناك تحذيرات مسبقة من الزلزال؟",
                              "قالت رئيسة البلدية إن فرق الإنقاذ تبحث."]
