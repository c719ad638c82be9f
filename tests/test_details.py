"""Checkable details of a passage, and what differs between two outlets' passages."""
from __future__ import annotations

from compare.text.details import name_key, passage_details, relation


def test_numbers_dates_names_and_negation_in_several_languages():
    en = passage_details("Russia said on 29 March that 14,000 civilians were killed in Kyiv.", "en")
    assert "14000" in en.figures and "29" not in en.figures and "03-29" in en.dates
    assert {"rss", "kv"} <= en.names and not en.negated
    ru = passage_details("Зеленский 30 марта заявил, что не подпишет договор.", "ru")
    assert "03-30" in ru.dates and ru.negated and "zlns" in ru.names
    assert passage_details("Zelensky said so.", "en").names == {"zlns"}


def test_relation_names_what_differs():
    base = passage_details("Eight people were killed in the strike on Kharkiv, officials said.")
    other = passage_details("30 people were killed in the strike on Kharkiv, officials said.")
    assert relation(passage_details("8 people were killed in Kharkiv."),
                    passage_details("30 people were killed in Kharkiv.")) == "number"
    assert relation(base, other) == "number"  # a spelled-out count is read in English
    assert relation(passage_details("Three people were killed in Kharkiv."),
                    passage_details("Four people were killed in Kharkiv.")) == "number"
    assert relation(passage_details("The two-day talks ended."),  # no count of "day"
                    passage_details("The talks ended after three days.")) == "same"
    assert not passage_details("No one knows who fired them.").counts  # "one" is not read
    assert relation(passage_details("The talks resumed on 29 March in Istanbul."),
                    passage_details("The talks resumed on 30 March in Istanbul.")) == "date"
    yes = passage_details("Russia will withdraw its troops from Kyiv.")
    no = passage_details("Russia will not withdraw its troops from Kyiv.")
    assert relation(yes, no, overlap=0.9) == "negation"
    assert relation(yes, no, overlap=0.2) == "same"  # too different to read the "not"
    assert relation(passage_details("Russia shelled the hospital in Bucha."),
                    passage_details("Ukraine shelled the hospital in Bucha.")) == "actor"


def test_a_fact_stated_inside_a_passage_twice_as_long_is_contains():
    from compare.text.details import larger_side

    short = passage_details("Russia will sharply cut military activity near Kyiv and Chernihiv.")
    longer = passage_details(
        "Russia will sharply cut military activity near Kyiv and Chernihiv, its deputy defence "
        "minister said after the talks, while Ukraine proposed a neutral status with "
        "international security guarantees.")
    assert relation(short, longer) == "contains" and larger_side(short, longer) == "b"
    assert relation(longer, short) == "contains" and larger_side(longer, short) == "a"
    # a difference is named first: a longer passage with another date is a date conflict
    dated = passage_details("On 30 March Russia said it would sharply cut military activity "
                            "near Kyiv and Chernihiv, and Ukraine proposed neutrality.")
    assert relation(passage_details("On 29 March Russia said it would cut activity."),
                    dated) == "date"
    assert relation(short, passage_details(
        "Russia will sharply reduce its military activity around Kyiv and Chernihiv.")) == "same"


def test_a_range_of_days_is_every_day_in_it():
    ranged = passage_details("The next round of talks will take place in Turkey on March 28-30.")
    assert ranged.dates == {"03-28", "03-29", "03-30"} and not ranged.figures
    assert passage_details("Переговоры пройдут 28–30 марта.", "ru").dates == ranged.dates
    within = passage_details("29 марта в Стамбуле прошел очередной раунд переговоров.", "ru")
    assert relation(ranged, within) == "same"
    assert relation(ranged, passage_details("The talks resumed on April 4.")) == "date"


def test_a_typographic_apostrophe_negates_as_the_plain_one():
    plain = passage_details("There won't be amnesty inside it.")
    curly = passage_details("There won’t be amnesty inside it.")
    assert plain.negated and curly.negated and relation(plain, curly) == "same"


def test_the_actor_is_who_acts_and_differs_only_in_the_same_words():
    assert passage_details("WASHINGTON — Sen. Harry Reid said so on Tuesday.").subject == \
        passage_details("Senator Reid said so.").subject == passage_details("Reid said so.").subject
    assert passage_details("According to Mr. Flynn, talks began.").subject == name_key("Flynn")
    assert passage_details("“Moscow lies,” Zelensky said.").subject == "zlns"  # not the quote's
    paraphrase = (passage_details("Goelman said Deputy Director David Bowdich overruled the office."),
                  passage_details("Mr. Strzok's lawyer said Bowdich had overruled the office."))
    assert relation(*paraphrase, overlap=0.3) == "same"
    assert relation(passage_details("Russian forces shelled the market in Kharkiv on Tuesday."),
                    passage_details("Ukrainian forces shelled the market in Kharkiv on Tuesday."),
                    overlap=0.8) == "actor"


def test_a_number_differs_only_for_one_thing_counted_in_one_language():
    pages = (passage_details("Boxes held 50,000 pages of printed emails."),
             passage_details("The department received 55,000 pages of emails."))
    assert relation(*pages) == "number"
    ages = (passage_details("Malia and Sasha Obama, aged 16 and 13, should show class."),
            passage_details("The aide, 31, who has 14,000 followers, wrote to Sasha and Malia."))
    assert relation(*ages) == "same"  # ages beside a follower count: no disagreement
    assert relation(passage_details("Hoyer kept the No. 2 job."),
                    passage_details("Hoyer, 77, kept the No. 3 position.")) == "same"
    assert relation(passage_details("The rate was 36 percent."),
                    passage_details("The rate was 35.7%.")) == "number"
    # across languages the counted words cannot be compared: figures that share none differ
    assert relation(passage_details("At least 820 people were killed."),
                    passage_details("Погибли не менее 632 человек.", "ru"),
                    same_language=False) == "number"
    # as many figures on each side, one of each missing from the other: the toll differs
    quake = passage_details("A magnitude 6.1 earthquake killed 12 people.")
    assert relation(quake, passage_details("Un terremoto de magnitud 6,1 dejó 15 muertos.", "es"),
                    same_language=False) == "number"
    assert relation(quake, passage_details("阿雷格里港发生6.1级地震，造成15人死亡。", "zh"),
                    same_language=False) == "number"
    # a figure only one side gives is a detail left out, not a disagreement
    assert relation(quake, passage_details("Землетрясение магнитудой 6,1 унесло жизни 12 "
                                           "человек, 40 ранены.", "ru"),
                    same_language=False) == "same"
    assert relation(quake, passage_details("Un séisme de magnitude 6,1 a fait 12 morts.", "fr"),
                    same_language=False) == "same"


def test_a_negation_differs_only_where_it_negates_the_shared_words():
    said = passage_details('"To pass this bill in the next couple of weeks would increase the '
                           'risk of a double dip," he said.')
    reversed_ = passage_details('"If they don\'t pass this bill in the next couple weeks it will '
                                'increase the risk of a double dip," he said.')
    assert relation(said, reversed_, overlap=0.8) == "negation"
    assert relation(passage_details("He attended the meeting in Kyiv."),
                    passage_details("He did not attend the meeting in Kyiv."), overlap=0.9) \
        == "negation"
    # The longer quote's extra clause holds the "not": the shorter one does not state it.
    short = passage_details('"Work with Pelosi to make sure we get the best deal possible," '
                            "Clinton said.")
    longer = passage_details('"Work with Pelosi to make sure we get the best deal possible and '
                             "if we don't get it, there should be no deal.\"")
    assert relation(short, longer, overlap=0.8) == "same"
    # "not accurate" and "inaccurate" say the same.
    assert relation(passage_details("The description is not accurate, Carr said."),
                    passage_details("Carr said the description was inaccurate."),
                    overlap=0.9) == "same"
    # Across languages the words cannot be aligned: the shared wording (overlap) decides.
    assert relation(passage_details("Russia will withdraw its troops."),
                    passage_details("Россия не выведет войска.", "ru"), overlap=0.6,
                    same_language=False) == "negation"


def test_a_month_between_two_numbers_takes_the_day_after_it():
    hijackers = passage_details("Fifteen of the 19 Sept. 11 hijackers were Saudi nationals.")
    assert hijackers.dates == {"09-11"} and "19" in hijackers.figures
    assert relation(passage_details("Fifteen of the 19 hijackers on 9/11 were Saudi citizens."),
                    hijackers) == "same"
    assert passage_details("The talks began on 29 March 2022.").dates == {"03-29"}


def test_a_quote_opened_curly_and_closed_straight_is_still_a_quote():
    mixed = passage_details('“Like most Americans, the president believes we cannot allow a '
                            'mere allegation to destroy a life," Sanders said.')
    assert mixed.subject == name_key("Sanders")  # not "Like", the quote's first word
    assert passage_details("„Moskau lügt“, sagte Scholz.", "de").subject == name_key("Scholz")


def test_dates_written_with_numbers_in_chinese_japanese_and_korean():
    talks = passage_details("俄乌代表团3月29日在伊斯坦布尔举行会谈，12人参加。", "zh")
    assert talks.dates == {"03-29"} and talks.figures == {"12"}  # the month is no figure
    assert passage_details("3월 29일 이스탄불에서 만났다.", "ko").dates == {"03-29"}
    assert relation(talks, passage_details("The delegations met in Istanbul on March 30."),
                    same_language=False) == "date"
