"""Word lists behind the rule auditor's proper-noun rules, and the helpers that normalise and index them.

What is public (famous people, fictional characters, big organisations and brands, widely used
software and devices), place-like names the gazetteer lacks (regions), capitalised words that are
never private on their own (languages, demonyms, religions, calendar words), honorifics, titles of
public figures, words and phrases that announce a person's name, and the small word sets the
candidate finder uses (connectors, locatives, region suffixes, institution words). Imports nothing
from the rest of the package.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Public names: a small curated allow-list written for this project (not taken from any evaluation
# set). Matching is on a normalised form (lower case, accents removed, "the " and possessives
# dropped). People's surnames are also accepted alone when they are distinctive (see public_index).
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
Soren Kierkegaard|Georg Wilhelm Friedrich Hegel|Hegel|Baruch Spinoza|Spinoza|Gottfried Leibniz|Leibniz|
Arthur Schopenhauer|Schopenhauer|Martin Heidegger|Heidegger|John Stuart Mill|John Rawls|Thomas Aquinas|
Saint Augustine|Marcus Aurelius|Seneca|Epicurus|Lao Tzu|Laozi|Rumi|Omar Khayyam|Ibn Khaldun|Albert Camus|Yuval Noah Harari|Jordan Peterson|Florence Nightingale|Hippocrates|Avicenna|
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
Wright brothers|Mikhail Bulgakov|Nikolai Gogol|Sergei Yesenin|Anna Akhmatova|Boris Pasternak|Mikhail Lermontov|
Ivan Turgenev|Vladimir Nabokov|Aleksandr Solzhenitsyn|Maxim Gorky|Vladimir Mayakovsky|Marina Tsvetaeva|
Mikhail Lomonosov|Ivan Pavlov|Sergei Rachmaninoff|Dmitri Shostakovich|Igor Stravinsky|Wassily Kandinsky|
Peter the Great|Catherine the Great|Ivan the Terrible|Alexander Suvorov|Georgy Zhukov|Sergei Korolev|
Sherlock|Freud|Darwin|Einstein|Newton|Picasso|Obama|Trump|Biden|Putin|Churchill|Merkel|Macron|
Ashoka|Asoka|Chandragupta Maurya|Chandragupta|Bindusara|Samudragupta|Akbar the Great|Babur|Humayun|Jahangir|
Shah Jahan|Aurangzeb|Tipu Sultan|Shivaji|Ranjit Singh|Rajendra Chola|Rajaraja Chola|Krishnadevaraya|
Cyrus the Great|Darius the Great|Darius I|Xerxes|Hammurabi|Sargon of Akkad|Nebuchadnezzar|Ashurbanipal|
Ramesses II|Ramses II|Tutankhamun|Akhenaten|Hatshepsut|Nefertiti|Khufu|Augustus|Caesar Augustus|Tiberius|
Caligula|Emperor Nero|Vespasian|Trajan|Hadrian|Diocletian|Constantine the Great|Justinian|Empress Theodora|
Charlemagne|Attila|Attila the Hun|Alaric|Otto the Great|Frederick Barbarossa|Barbarossa|
Frederick the Great|Charles V|Philip II|Ferdinand and Isabella|Isabella of Castile|Elizabeth I|Queen Elizabeth I|
Richard the Lionheart|William the Conqueror|Alfred the Great|Edward I|Louis XVI|Maria Theresa|Suleiman the Magnificent|
Mehmed II|Mehmed the Conqueror|Osman I|Selim I|Saladin|Harun al-Rashid|Al-Mansur|Abd al-Malik|
Mansa Musa|Sundiata Keita|Shaka Zulu|Menelik II|Haile Selassie|Montezuma|Moctezuma|Atahualpa|Pachacuti|
Qin Shi Huang|Wu Zetian|Kangxi Emperor|Qianlong Emperor|Kublai Khan|Tamerlane|Tokugawa Ieyasu|Oda Nobunaga|
Toyotomi Hideyoshi|Emperor Meiji|Sejong the Great|King Sejong|Ivan III|Alexander II|Nicholas II|Pericles|
Leonidas I|Hannibal Barca|Spartacus|Boudica|Vercingetorix|Ibn Battuta|Zheng He|
Naguib Mahfouz|Mahfouz|Orhan Pamuk|Pamuk|Mario Vargas Llosa|Vargas Llosa|Octavio Paz|Gabriela Mistral|
Miguel Angel Asturias|Camilo Jose Cela|Juan Ramon Jimenez|Federico Garcia Lorca|Lorca|Antonio Machado|
Fernando Pessoa|Jose Saramago|Saramago|Machado de Assis|Jorge Amado|Clarice Lispector|Julio Cortazar|
Cortazar|Carlos Fuentes|Juan Rulfo|Isabel Allende|Roberto Bolano|Bolano|Ruben Dario|Kenzaburo Oe|
Yasunari Kawabata|Kawabata|Yukio Mishima|Mishima|Natsume Soseki|Soseki|Ryunosuke Akutagawa|Akutagawa|
Kobo Abe|Mo Yan|Gao Xingjian|Lu Xun|Lao She|Ba Jin|Han Kang|Ko Un|Premchand|Munshi Premchand|Kalidasa|
Mirza Ghalib|Ghalib|Allama Iqbal|Muhammad Iqbal|Faiz Ahmed Faiz|Khalil Gibran|Kahlil Gibran|Mahmoud Darwish|
Taha Hussein|Hafez Shirazi|Ferdowsi|Saadi Shirazi|Nizami Ganjavi|Nazim Hikmet|Yasar Kemal|Wole Soyinka|Soyinka|
Chinua Achebe|Achebe|Ngugi wa Thiong'o|Nadine Gordimer|J. M. Coetzee|Coetzee|Wislawa Szymborska|
Szymborska|Czeslaw Milosz|Milosz|Olga Tokarczuk|Tokarczuk|Henryk Sienkiewicz|Adam Mickiewicz|Imre Kertesz|
Herta Muller|Gunter Grass|Thomas Mann|Hermann Hesse|Heinrich Boll|Elfriede Jelinek|Peter Handke|
Rainer Maria Rilke|Rilke|Bertolt Brecht|Brecht|Friedrich Schiller|Heinrich Heine|Stefan Zweig|
Robert Musil|Selma Lagerlof|Knut Hamsun|Hamsun|Henrik Ibsen|Ibsen|August Strindberg|
Strindberg|Hans Christian Andersen|Astrid Lindgren|Halldor Laxness|Tomas Transtromer|Jon Fosse|Sigrid Undset|
Annie Ernaux|Patrick Modiano|Andre Gide|Anatole France|Romain Rolland|Marcel Proust|Proust|Gustave Flaubert|
Flaubert|Honore de Balzac|Balzac|Emile Zola|Zola|Stendhal|Moliere|Jean Racine|Charles Baudelaire|Baudelaire|
Arthur Rimbaud|Rimbaud|Guy de Maupassant|Maupassant|Alexandre Dumas|Jules Verne|Antoine de Saint-Exupery|
Saint-Exupery|Marguerite Yourcenar|Umberto Eco|Italo Calvino|Calvino|Elena Ferrante|Primo Levi|
Luigi Pirandello|Pirandello|Grazia Deledda|Eugenio Montale|Salvatore Quasimodo|Dario Fo|Alessandro Manzoni|
Giacomo Leopardi|Leopardi|Petrarch|Giovanni Boccaccio|Boccaccio|Milan Kundera|Kundera|Vaclav Havel|
Bohumil Hrabal|Jaroslav Seifert|Ivo Andric|Danilo Kis|Ismail Kadare|Kadare|Nikos Kazantzakis|Kazantzakis|
Constantine Cavafy|Cavafy|Odysseas Elytis|George Seferis|Sholem Aleichem|S. Y. Agnon|Shmuel Yosef Agnon|
Amos Oz|Isaac Bashevis Singer|Nelly Sachs|Svetlana Alexievich|Ivan Bunin|Bunin|Mikhail Sholokhov|Sholokhov|
Joseph Brodsky|Brodsky|Rabindranath Tagore|Tagore|
Srinivasa Ramanujan|Ramanujan|C. V. Raman|Subrahmanyan Chandrasekhar|Chandrasekhar|Homi Bhabha|
A. P. J. Abdul Kalam|Abdul Kalam|Hideki Yukawa|Yukawa|Tu Youyou|Abdus Salam|Ahmed Zewail|Santiago Ramon y Cajal|
Ramon y Cajal|Lise Meitner|Meitner|Emmy Noether|Noether|Carl Friedrich Gauss|Gauss|Leonhard Euler|Euler|
Bernhard Riemann|Riemann|David Hilbert|Henri Poincare|Poincare|Pierre-Simon Laplace|Laplace|
Antoine Lavoisier|Lavoisier|Andre-Marie Ampere|Michael Faraday|Faraday|James Clerk Maxwell|
Enrico Fermi|Fermi|Max Born|Wolfgang Pauli|Paul Dirac|Dirac|Ernest Rutherford|Rutherford|Robert Koch|
Rudolf Virchow|Alexander von Humboldt|Humboldt|Carl Linnaeus|Linnaeus|Alfred Nobel|Andrei Sakharov|
Lev Landau|Al-Khwarizmi|Ibn al-Haytham|Alhazen|Al-Biruni|Averroes|Ibn Rushd|Ibn Sina|Al-Farabi|Al-Kindi|
Aryabhata|Brahmagupta|Zhang Heng|Shen Kuo|Hideyo Noguchi|Blaise Pascal|Pierre de Fermat|
Fermat|Evariste Galois|Galois|Kurt Godel|Godel|Georg Cantor|Alexander Grothendieck|Grothendieck
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
Instagram|Insta|WhatsApp|Messenger|Threads|Twitter|TikTok|ByteDance|Snapchat|Reddit|Discord|Telegram|Signal|Slack|
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

# Widely used software, developer tools and services, and consumer-electronics brands: a user's
# coding or gadget question names them without naming anyone (also written for this project).
# Public only as a whole name: many are ordinary words that also start small businesses'
# names ("Spring Valley Bakery", "Eclipse Hair Salon"), which must stay private.
_PUBLIC_SOFTWARE = """
Flutter|Dart|Keras|scikit-learn|SciPy|Matplotlib|Seaborn|Plotly|Streamlit|Gradio|LangChain|OpenCV|Selenium|
Playwright|Puppeteer|Cypress|Jest|Mocha|pytest|JUnit|Webpack|Vite|Babel|ESLint|Prettier|npm|Yarn|Deno|Bun|
Express|Express.js|FastAPI|Spring|Spring Boot|Laravel|Symfony|Rails|Svelte|SvelteKit|Nuxt|Tailwind|
Tailwind CSS|Bootstrap|jQuery|Redux|GraphQL|gRPC|Swagger|OpenAPI|Postman|Mongoose|Prisma|Sequelize|SQLAlchemy|
Hibernate|SQLite|MariaDB|Cassandra|DynamoDB|Neo4j|Firebase|Firestore|Supabase|Heroku|Netlify|Vercel|
Cloudflare|DigitalOcean|Google Cloud|GCP|Lambda|EC2|S3|Terraform|Ansible|Vagrant|VirtualBox|VMware|Jenkins|
CircleCI|Travis CI|GitHub Actions|Nginx|Apache|Tomcat|Helm|Istio|Prometheus|Grafana|Kibana|Logstash|Splunk|
Datadog|Sentry|RabbitMQ|Celery|Airflow|Snowflake|Databricks|BigQuery|Tableau|Power BI|Looker|Jira|Confluence|
Trello|Asana|Monday.com|ClickUp|Zapier|HubSpot|Mailchimp|Twilio|SendGrid|Auth0|Okta|Keycloak|OAuth|
WooCommerce|Magento|QuickBooks|Xero|SharePoint|OneDrive|OneNote|Power Automate|Power Apps|VBA|PowerShell|
Bash|Zsh|Vim|Neovim|Emacs|IntelliJ|PyCharm|Eclipse|Xcode|Android Studio|Visual Studio Code|Sublime Text|
AutoHotkey|Arduino|Raspberry Pi|ESP32|Solidity|Godot|Unreal|Roblox Studio|Obsidian|Evernote|Anki|
Sketch|Premiere Pro|After Effects|Final Cut Pro|DaVinci Resolve|Lightroom|GIMP|Inkscape|Audacity|FL Studio|
Ableton|Ableton Live|Logic Pro|Pro Tools|GarageBand|OBS|Wireshark|Nmap|Metasploit|Kali Linux|Fedora|CentOS|
Red Hat|Arch Linux|Windows Server|Active Directory|Azure DevOps|Bitbucket|Stack Exchange|LeetCode|HackerRank|
Kaggle|Colab|Google Colab|Anaconda|Conda|PyPI|Homebrew|WSL|Electron|React Native|Xamarin|.NET|ASP.NET|
Blazor|Qt|GTK|Tkinter|PyQt|Pygame|Three.js|D3|D3.js|Chart.js|Leaflet|Mapbox|OpenStreetMap|Canon|Nikon|Leica|
Fujifilm|GoPro|DJI|Bose|JBL|Logitech|Razer|Corsair|ASUS|Acer|MSI|Garmin|Fitbit|Oculus|Meta Quest|Kindle Fire|
Roku|Chromecast|Sonos|Philips Hue|Ring|Nest|Pixel|Google Pixel|ThinkPad|IdeaPad|Surface|Surface Pro|AirPods|
Apple Watch|iMac|Chromebook|MacBook Air|MacBook Pro|Galaxy Tab|Kindle Paperwhite|Steam Deck
"""

# Place-like names the gazetteer does not hold (regions, provinces, well-known areas).
REGIONS = """
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
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
    ]
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

HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "madame",
    "mme",
    "mademoiselle",
    "mlle",
    "monsieur",
    "m",
    "herr",
    "frau",
    "senor",
    "senora",
    "senorita",
    "sr",
    "sra",
    "srta",
    "don",
    "dona",
    "signor",
    "signora",
    "coach",
    "pastor",
    "father",
    "rev",
    "reverend",
    "rabbi",
    "imam",
    "sheikh",
    "judge",
    "officer",
    "detective",
    "nurse",
    "aunt",
    "auntie",
    "uncle",
    "grandma",
    "grandpa",
    "sensei",
    "господин",
    "госпожа",
}
# Titles held by public figures: a name after one of these is a public person.
PUBLIC_TITLES = {
    "king",
    "queen",
    "prince",
    "princess",
    "emperor",
    "empress",
    "archduke",
    "archduchess",
    "duke",
    "duchess",
    "tsar",
    "czar",
    "tsarina",
    "kaiser",
    "sultan",
    "shah",
    "pharaoh",
    "pope",
    "saint",
    "st",
    "president",
    "chancellor",
    "senator",
    "general",
    "admiral",
    "ayatollah",
    "caliph",
    "emir",
    "chairman",
    "premier",
}
CUE_WORDS = {
    "named",
    "called",
    "name",
    "names",
    "surnamed",
    "nicknamed",
    "friend",
    "friends",
    "boyfriend",
    "girlfriend",
    "wife",
    "husband",
    "partner",
    "fiance",
    "fiancee",
    "spouse",
    "son",
    "daughter",
    "mom",
    "mum",
    "mother",
    "dad",
    "father",
    "brother",
    "sister",
    "sibling",
    "grandfather",
    "grandmother",
    "grandson",
    "granddaughter",
    "aunt",
    "uncle",
    "cousin",
    "niece",
    "nephew",
    "stepson",
    "stepdaughter",
    "child",
    "kid",
    "baby",
    "boss",
    "manager",
    "supervisor",
    "coworker",
    "co-worker",
    "colleague",
    "neighbour",
    "neighbor",
    "landlord",
    "landlady",
    "tenant",
    "roommate",
    "flatmate",
    "housemate",
    "teacher",
    "tutor",
    "coach",
    "student",
    "pupil",
    "client",
    "patient",
    "doctor",
    "therapist",
    "ex",
    "crush",
    "match",
    "date",
    "classmate",
    "employee",
    "employer",
    "assistant",
    "mentor",
    "bandmate",
    "teammate",
    "pastor",
    "user",
    "users",
    "member",
    "owner",
    "customer",
    "соседа",
    "сосед",
    "соседку",
    "соседка",
    "друг",
    "подруга",
    "муж",
    "жена",
    "сын",
    "дочь",
    "начальник",
}
PERSON_CUE_PATTERN = re.compile(
    r"(?:\bnamed|\bcalled|\bname is|\bname's|\bme llamo|\bje m'appelle|\bmy name|\bich heiße|\bich heisse|\bsou o|\bsou a"
    r"|\bsoy|\bje suis|\bich bin|\bменя зовут|\bthis is|\bi am|\bi'm|\bit's"
    # self-introductions in more languages: "mi nombre es", "mein Name ist", "mi chiamo", "benim adım",
    # "nazywam się", "мене звати", Greek "Λέγομαι" / "Με λένε" / "Ονομάζομαι"
    r"|\bmi nombre es|\bmein name ist|\bmi chiamo|\bil mio nome è|\bmeu nome é|\bme chamo|\bbenim adım|\badım"
    r"|\bnazywam się|\bmam na imię|\bjmenuji se|\bmene zovu|\bмене звати|\bмоё имя|\bмое имя|\bλέγομαι|\bμε λένε"
    r"|\bονομάζομαι|\bτο όνομά μου είναι)\s*[,:]?\s*$",
    re.IGNORECASE,
)
CONNECTORS = {"of", "de", "des", "du", "la", "le", "les", "del", "della", "da", "do", "dos", "das", "van", "von", "der", "den", "di", "el", "al", "bin", "ibn", "&", "the", "on", "upon"}
# A run ending in one of these names a region rather than a settlement: narrows to thousands (3).
REGION_SUFFIXES = {"valley", "county", "region", "coast", "peninsula", "province", "prefecture", "mountains", "basin", "delta", "plateau", "highlands", "oblast", "krai", "state", "territory", "shire"}
LOCATIVE = {
    "in",
    "near",
    "at",
    "from",
    "to",
    "around",
    "outside",
    "across",
    "of",
    "into",
    "throughout",
    "within",
    "à",
    "en",
    "em",
    "no",
    "na",
    "nel",
    "nella",
    "im",
    "bei",
    "aus",
    "dans",
    "près",
    "cerca",
    "в",
    "во",
    "из",
    "под",
    "около",
    "у",
}
INSTITUTION_WORDS = {
    "school",
    "university",
    "college",
    "academy",
    "institute",
    "law",
    "medical",
    "business",
    "hospital",
    "clinic",
    "inc",
    "inc.",
    "corp",
    "corp.",
    "corporation",
    "company",
    "co",
    "co.",
    "ltd",
    "llc",
    "group",
    "store",
    "stores",
    "app",
    "website",
    "subscription",
    "account",
    "cloud",
    "press",
    "foundation",
    "studios",
    "music",
    "news",
    "times",
    "plus",
    "pro",
    "museum",
    "library",
    "team",
    "engineers",
    "employees",
    "users",
    "fans",
}


def norm(text: str) -> str:
    """Lower case, accents removed, quotes unified, possessive and leading article dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").lower().strip(" .,;:!?\"'()[]{}")
    text = re.sub(r"'s$", "", text)
    text = re.sub(r"^(the|a|an)\s+", "", text)
    text = re.sub(r"\s+", " ", text)
    return text


def fold(text: str) -> str:
    """Accents removed ("Lefèvre" -> "lefevre"); other scripts unchanged."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def split_list(blob: str) -> list[str]:
    return [item.strip() for item in blob.replace("\n", "").split("|") if item.strip()]


# Surnames of public people that many private people share ("Mr Singh", "Frau Mann", "Ms Kang"): such a
# name alone is no public figure, only the full name is.
_COMMON_SURNAMES = frozenset(
    split_list("""
singh|kang|hussein|iqbal|musa|keita|raman|jimenez|fuentes|machado|amado|allende|levi|mann|koch|singer|born|
darwish|sultan|jahan|faiz|salam|kalam|grass|boll|heine|hesse|sachs|dumas|france|rolland|racine|havel|landau|
nobel|sina|noguchi|fosse|cela|kemal|maxwell|pascal|cantor|muller|jelinek|schiller|pessoa|coetzee|brodsky|
zweig|maurya|theresa|isabella|asturias|dario|hilbert|bhabha|seifert|undset|barca|magnificent|shirazi
""")
)


@functools.lru_cache(maxsize=1)
def public_index() -> tuple[frozenset[str], frozenset[str]]:
    """(full public names, distinctive single surnames of public people)."""
    full: set[str] = set()
    surnames: set[str] = set()
    for blob in (_PUBLIC_PEOPLE, _FICTIONAL, _PUBLIC_ORGS):
        for item in split_list(blob):
            full.add(norm(item))
            full.add(norm(item.replace(".", "")))
    for item in split_list(_PUBLIC_PEOPLE) + split_list(_FICTIONAL):
        parts = norm(item).split()
        if len(parts) >= 2 and len(parts[-1]) > 3 and parts[-1] not in {"jr", "jr.", "iii", "ii"} and parts[-1] not in _COMMON_SURNAMES:
            surnames.add(parts[-1])
    return frozenset(full), frozenset(surnames)


@functools.lru_cache(maxsize=1)
def public_software() -> frozenset[str]:
    """Software and device names, public when a candidate is exactly one of them."""
    return frozenset(norm(item) for item in split_list(_PUBLIC_SOFTWARE))


@functools.lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    return frozenset(norm(w) for w in split_list(_GENERIC_CAPITALISED))


@functools.lru_cache(maxsize=1)
def region_names() -> frozenset[str]:
    return frozenset(norm(w) for w in split_list(REGIONS))


# Words that can follow a self-introduction cue in a script without capitals yet are no name
# ("اسمي غير مهم": my name does not matter; "मेरा नाम क्या है": what is my name).
NOT_A_NAME_UNCASED = frozenset(
    split_list("""
غير|ليس|لا|هو|هي|ما|ماذا|سر|مهم|뭐|무엇|비밀|없어|없다|क्या|है|नहीं|कुछ|तो|भी|कौन|לא|הוא|היא|מה|סוד|อะไร|ไม่|คือ
""")
)

# Historical states: a Title-Case span ending in one of these names a public polity ("the Byzantine
# Empire", "Achaemenid Empire's", "Kingdom of Aksum", "the Delhi Sultanate").
POLITY_WORDS = frozenset(
    split_list("""
empire|empires|dynasty|dynasties|kingdom|kingdoms|caliphate|caliphates|sultanate|sultanates|khanate|khanates|
khaganate|shogunate|tsardom
""")
)
# Major historical dynasties and the adjectives and plurals of historical states ("Mauryan", "Abbasids",
# "Satavahana"), public when the text talks about dynasties, empires, states or eras ("the Han and Tang
# dynasties", "the Mauryan and Abbasid states"): class knowledge, not names of people.
DYNASTIES = frozenset(
    norm(_n)
    for _n in split_list("""
Xia|Shang|Zhou|Qin|Han|Jin|Sui|Tang|Song|Liao|Yuan|Ming|Qing|Goryeo|Joseon|Silla|Baekje|Goguryeo|Yamato|
Tokugawa|Ashikaga|Kamakura|Heian|Maurya|Gupta|Chola|Chalukya|Pallava|Pala|Rashtrakuta|Mughal|Lodi|Tughlaq|
Khalji|Safavid|Qajar|Pahlavi|Abbasid|Umayyad|Fatimid|Ayyubid|Mamluk|Ottoman|Seljuk|Timurid|Ghaznavid|
Achaemenid|Sasanian|Sassanid|Parthian|Seleucid|Ptolemaic|Julio-Claudian|Flavian|Severan|Antonine|
Macedonian|Komnenos|Komnenian|Palaiologos|Romanov|Rurik|Rurikid|Habsburg|Hapsburg|Bourbon|Valois|Capetian|
Carolingian|Merovingian|Plantagenet|Lancaster|York|Tudor|Stuart|Hanover|Windsor|Hohenzollern|Wittelsbach|
Medici|Borgia|Jagiellonian|Piast|Arpad|Solomonic|Ly|Tran|Nguyen|Khmer|Chakri|Konbaung|Zulu|Inca|Aztec|
Almoravid|Almohad|Nasrid|Hafsid|Saadi|Alaouite|
Mauryan|Guptan|Mughals|Achaemenian|Sasanid|Sassanian|Byzantine|Ottomans|Seljuq|Seljuqs|Seleucids|Ptolemies|
Abbasids|Umayyads|Fatimids|Ayyubids|Mamluks|Safavids|Timurids|Mongol|Mongols|Yuan|Hellenistic|Romanised|
Carthaginian|Phoenician|Assyrian|Babylonian|Akkadian|Sumerian|Hittite|Persian|Median|Parthians|Kushan|
Satavahana|Vijayanagara|Maratha|Rajput|Delhi|Bahmani|Ghurid|Kushite|Aksumite|Axumite|Songhai|Malian|
Ghanaian|Kanem|Oyo|Asante|Mutapa|Toltec|Olmec|Mayan|Incan|Aztecs|Mexica|Tiwanaku|Wari|
Angkor|Angkorian|Srivijaya|Majapahit|Champa|Pagan|Ayutthaya|Sukhothai|Lanna|Khmers|Heian|Edo|
Muromachi|Meiji|Ming|Qing|Tang|Han|Goryeo|Joseon|Carolingians|Merovingians|Capetians|Plantagenets|
Tudors|Stuarts|Habsburgs|Romanovs|Hohenzollerns|Ottonian|Salian|Hohenstaufen|Staufer|Angevin|Normans|
Visigothic|Ostrogothic|Lombards|Frankish|Vandal|Viking|Kievan|Rus|Muscovite|Lithuanian|Polish-Lithuanian|
Venetian|Genoese|Aragonese|Castilian|Nasrid|Zirid|Rustamid|Idrisid|Aghlabid|Tulunid|Ikhshidid|
Buyid|Samanid|Saffarid|Tahirid|Ghaznavids|Khwarazmian|Ilkhanate|Ilkhanid|Chagatai|Golden Horde|Jochid|
Qara Qoyunlu|Aq Qoyunlu|Afsharid|Zand|Durrani|Hotaki|Sikh|Mysore|Travancore|Hyderabad|Awadh|Bengal
""")
)


# Platforms that host other people's shops, channels, listings, groups and records: a name "on Etsy"
# or "in Salesforce" is a small business, channel or customer, not a feature of the platform.
HOSTING_PLATFORMS = frozenset(
    norm(_n)
    for _n in split_list("""
Etsy|eBay|Amazon|Shopify|YouTube|Instagram|TikTok|Facebook|Twitch|Patreon|OnlyFans|Substack|Medium|Reddit|
Discord|Spotify|Airbnb|Booking.com|Tripadvisor|Yelp|LinkedIn|Twitter|Telegram|WhatsApp|WeChat|Steam|Roblox|
Minecraft|Wix|Squarespace|WordPress|Salesforce|HubSpot|QuickBooks|Xero|Jira|Trello|Asana|Notion|Slack|
GitHub|GitLab|Kickstarter|GoFundMe|Google|Google Maps
""")
)
# Last words that make a capitalised run a business, venue or group rather than a product feature.
BUSINESS_NOUNS = frozenset(
    split_list("""
bakery|cafe|coffee|salon|shop|store|studio|studios|restaurant|bar|pub|clinic|farm|ltd|llc|inc|co|company|
group|club|team|school|academy|candles|designs|crafts|boutique|gallery|agency|consulting|services|solutions|
records|books|press|kitchen|garage|motors|plumbing|construction|realty|properties|foundation|church|society|
association|choir|band|channel|podcast|account|page|server|guild
""")
)


# ----------------------------------------------------------------- names written in other scripts
# A famous name written in Cyrillic or Greek ("Льва Толстого", "Гермиона Грейнджер") is matched to
# the public lists by a rough phonetic skeleton: transliterate, strip a case ending, map sounds
# that scripts spell differently to one letter, drop vowels. Coarse on purpose: a full name must
# match word for word, and a surname alone is compared with a stricter key that keeps where the
# vowels are (see rules._public_in_other_script).
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        split_list("a|b|v|g|d|e|e|zh|z|i|y|k|l|m|n|o|p|r|s|t|u|f|kh|ts|ch|sh|shch|_|y|_|e|yu|ya|i|yi|ye|g"),
        strict=True,
    )
)
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
        split_list("a|v|g|d|e|z|i|th|i|k|l|m|n|ks|o|p|r|s|s|t|y|f|ch|ps|o|a|e|i|i|o|y|o|i|y|i|y"),
        strict=True,
    )
)
# Case endings of Russian nouns and surnames, longest first: Толстого -> Толст(ой), Чехова -> Чехов.
_RU_ENDINGS = ("ого", "его", "ому", "ему", "ыми", "ими", "ым", "им", "ом", "ем", "ой", "ей", "ую", "юю", "а", "я", "у", "ю", "е", "ы", "и")


def transliterate(word: str) -> str:
    out = []
    for ch in word.lower():
        out.append(_CYRILLIC.get(ch) or _GREEK.get(ch) or ch)
    return "".join(out).replace("_", "")


def _skeleton(latin: str, native: bool = False, vowels: bool = False) -> str:
    """Consonant skeleton of a name in Latin letters, with spellings that differ across scripts merged:
    'Tolstoy' and 'tolstoy' (Толстой) -> 'tlst'; 'Granger' and 'greyndzher' (Грейнджер) -> 'grnjr'.
    `native`: the name was written in Latin letters (English soft g: George = Джордж). `vowels`: keep
    each vowel group as 'a' (final ones dropped, as case endings change them), a stricter key that
    tells Krylov from Korolev and Solovyov from Silva."""
    s = fold(latin.lower())
    if native:
        s = re.sub(r"(?<!g)g(?=[eiy])", "j", s)  # but "gg" is hard: Baggins = Бэггинс
    for a, b in (
        ("shch", "sh"),
        ("sch", "sh"),
        ("tch", "ch"),
        ("chr", "kr"),
        ("dh", "d"),
        ("bh", "b"),
        ("gh", "g"),
        ("rh", "r"),
        ("dzh", "j"),
        ("zh", "j"),
        ("dg", "j"),
        ("ck", "k"),
        ("ph", "f"),
        ("th", "t"),
        ("kh", "h"),
        ("ts", "c"),
        ("tz", "c"),
        ("x", "ks"),
        ("q", "k"),
        ("w", "v"),
    ):
        s = s.replace(a, b)
    s = re.sub(r"c(?=[eiy])", "s", s)  # Cicero, Francis: soft c
    s = s.replace("c", "k").replace("h", "g")  # Harry = Гарри, Hermione = Гермиона
    s = re.sub(r"[^a-z]", "", s)
    s = re.sub(r"[aeiouy]+", "a", s).rstrip("a") if vowels else re.sub(r"[aeiouy]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


def _native_skeletons(name: str, vowels: bool = False) -> set[str]:
    """Skeletons of a Latin-script name as other scripts may spell it: w as a vowel (Newton =
    Ньютон) or as v (Darwin = Дарвин), German st as sht (Einstein = Эйнштейн), au as av
    (Augustine = Августин), German z as ts (Leibniz = Лейбниц)."""
    low = name.lower()
    variants = (low, low.replace("w", "u"), low.replace("st", "sht"), low.replace("au", "av"), low.replace("z", "ts"))
    return {_skeleton(v, native=True, vowels=vowels) for v in variants}


def script_skeletons(word: str, vowels: bool = False) -> set[str]:
    """Skeletons of a Cyrillic/Greek word and of its stems without a case ending."""
    low = word.lower()
    forms = {low}
    for ending in _RU_ENDINGS:
        if low.endswith(ending) and len(low) - len(ending) >= 3:
            forms.add(low[: -len(ending)])
    return {_skeleton(transliterate(f), vowels=vowels) for f in forms}


def initial(latin: str) -> str:
    """First letter of a name, with letters that scripts swap merged: Joseph = Иосиф (iosif), Harry =
    Гарри, Yuri = Юрий, Elon = Илон, Sigmund = Зигмунд."""
    first = fold(latin.lower())[:1]
    return {"j": "i", "y": "i", "e": "i", "h": "g", "w": "v", "c": "k", "q": "k", "x": "k", "z": "s"}.get(first, first)


@functools.lru_cache(maxsize=1)
def public_skeletons() -> tuple[frozenset[tuple[str, ...]], dict[str, frozenset[str]]]:
    """(consonant skeletons of full public names as word tuples, vowel-aware skeleton of a
    distinctive public surname -> the initials of the given names that go with it)."""
    _, surnames = public_index()
    full_sk: set[tuple[str, ...]] = set()
    initials: dict[str, set[str]] = {}
    for name in (norm(x) for x in split_list(_PUBLIC_PEOPLE) + split_list(_FICTIONAL)):
        words = name.split()
        combos: list[tuple[str, ...]] = [()]
        for opts in (_native_skeletons(w) for w in words):
            combos = [c + (o,) for c in combos for o in opts]
        full_sk.update(combos)
        if len(words) >= 2 and words[-1] in surnames:
            for sk in _native_skeletons(words[-1], vowels=True):
                if len(sk) >= 3:
                    initials.setdefault(sk, set()).add(initial(words[0]))
        elif len(words) == 1 and len(words[0]) > 3:  # "Socrates", "Raskolnikov": known by one name
            for sk in _native_skeletons(words[0], vowels=True):
                if len(sk) >= 3:
                    initials.setdefault(sk, set())
    return frozenset(full_sk), {k: frozenset(v) for k, v in initials.items()}
