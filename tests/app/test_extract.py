"""The short answer taken verbatim from an evidence sentence (app/answer/extract.py). Sentences and questions are
SQuAD v1.1 dev items and development-set questions that the bundled model answered wrongly."""
import pytest

from app.answer.extract import typed_answer


@pytest.mark.parametrize("question, sentence, expected", [
    ("When did Marconi transmit similar signals to those Tesla received?",
     "It has been hypothesized that he may have intercepted Marconi's European experiments in July 1899—Marconi may "
     "have transmitted the letter S (dot/dot/dot) in a naval demonstration.", "July 1899"),
    ("In what year was the university's 5th president granted his position?",
     "In 1929, the university's fifth president, Robert Maynard Hutchins, took office.", "1929"),
    ("When were the elections that produced a higher vote by Protestant Nazi sympathizers?",
     "Geary notes that the Nazi vote was higher in Protestant areas in the elections of 1928-1933.", "1928-1933"),
    ("Who was the leader of the Islamist regime in Sudan?",
     "For many years, Sudan had an Islamist regime under the leadership of Hassan al-Turabi.", "Hassan al-Turabi"),
    ("Who lost 3 yards on a tackle by Shaq Thompson?",
     "First, linebacker Shaq Thompson tackled Ronnie Hillman for a 3-yard loss.", "Ronnie Hillman"),
    ("How many NFL teams have finished the regular season with one loss?",
     "The Carolina Panthers became one of only ten teams to have completed a regular season with only one loss.",
     "ten"),
    ("What percentage of Newcastle's population was culled by the plague?",
     "The plague of 1636 killed one in three: 47% of Newcastle's population was culled.", "47%"),
    ("How many men older than 18 are there for every 100 women?",
     "For every 100 females age 18 and over, there were 91.3 males.", "91.3"),
    ("How many species of bird and mammals are there in the Amazon region?",
     "The region is home to about 2.5 million insect species, tens of thousands of plants, and some 2,000 birds and "
     "mammals.", "2,000"),
])
def test_the_name_date_or_number_asked_for(question, sentence, expected):
    got = typed_answer(question, sentence)
    assert got is not None and got.text == expected
    assert sentence[got.start:got.end] == expected  # verbatim, with offsets into the sentence


@pytest.mark.parametrize("question, sentence", [
    ("What does Title V of the DMCA protect?", "Title V protects the design of vessel hulls."),  # not a typed question
    ("When did the storm hit Taiwan?", "The storm hit Taiwan and moved on to the mainland."),  # no date in it
    ("Who wrote the style guide?", "The Style Guide was written long ago."),  # the only name is the one asked about
    ("How many files did Bob send in 2019?", "Bob sent the files in 2019."),  # the question's own number
    ("How many employees does VoiceAge Corporation have?",  # development set u06: a signature's phone number
     "Speech and Audio Coding Research Group, phone: (+1) 819 821 8000 ext. 62130"),
    ("What percentage of Newcastle's population was culled by the plague?",  # a share wants a percentage
     "No one in Newcastle was spared by the plague of 1636."),
    ("Who voted on the venue for Super Bowl 50?", "The American venue was chosen by a vote."),  # an adjective
    ("How many employees does VoiceAge Corporation have?",  # a sentence sharing no word with the question
     "There were 12 people at the meeting in Sherbrooke."),
    ("How many articles did they use for the evaluation?",  # tried as a user on the NAACL paper: a section number
     "4.1 Evaluation Method We evaluated the obtained tables as follows."),
    ("How much less steam did the Corliss engine use compared to the Watt engine?",  # SQuAD dev #70: counts nothing
     'When Corliss was given the Rumford medal the committee said that "no one invention since Watt\'s time has so '
     'enhanced the efficiency of the steam engine".'),
])
def test_nothing_when_the_sentence_holds_nothing_new_of_the_kind(question, sentence):
    assert typed_answer(question, sentence) is None


@pytest.mark.parametrize("question, sentence, expected", [
    ("Who registered mozilla.org?",  # development set d01: a person's two-word name before a one-word company
     "One day later, Jamie Zawinski from Netscape registered mozilla.org.", "Jamie Zawinski"),
    ("How much of Mozilla's revenue came from its contract with Google?",  # d02: a footnote mark is no amount
     "Mozilla noted that roughly 85% of their revenue comes from their contract with Google.[16]", "85%"),
    ("What name was given to the baby victim in the Kansas City murder case?",  # e17: "what name" asks for a name
     "A notorious murder case in Kansas City, Missouri, referred to the baby victim as Precious Doe.", "Precious Doe"),
    ("How long is the review period in the executive order?",  # d05: a length keeps its unit
     "The order provides for a six-month review period before the sanctions are lifted.", "six-month"),
    ("How much rain does the town get in a year?", "The town gets 11.5 inches of rain a year.", "11.5 inches"),
    ("Who wrote Using Microsoft Word 2007/2010 for Writing Technical Documents?",  # d14: the author, not his institute
     "Valter Kiisk Institute of Physics, University of Tartu", "Valter Kiisk"),
    ("Who was the head of the company?",  # a person before the organisation's name
     "In 1893 Richard Dean Adams, who headed up the Niagara Falls Cataract Construction Company sought Tesla's "
     "opinion.", "Richard Dean Adams"),
])
def test_development_set_cases(question, sentence, expected):
    got = typed_answer(question, sentence, anchored=not sentence.startswith("Valter"))  # d14 is the model's answer
    assert got is not None and got.text == expected


@pytest.mark.parametrize("question, sentence", [
    ("Who were the Semuren?", "The Mongols and Semuren were given certain advantages in the dynasty."),  # a definition
    ("Who wrote the paper on Preemptive Information Extraction?",  # a heading word is not a name (d05)
     "5 Conclusion In this paper we proposed Preemptive Information Extraction as a new direction of IE research."),
])
def test_no_name_where_none_is_asked_or_given(question, sentence):
    assert typed_answer(question, sentence) is None
