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
Roku|Chromecast|Sonos|Philips Hue|Ring|Nest
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
def _public_software() -> frozenset[str]:
    """Software and device names, public when a candidate is exactly one of them."""
    return frozenset(_norm(item) for item in _split_list(_PUBLIC_SOFTWARE))


@functools.lru_cache(maxsize=1)
def _generic_words() -> frozenset[str]:
    return frozenset(_norm(w) for w in _split_list(_GENERIC_CAPITALISED))


@functools.lru_cache(maxsize=1)
def _region_names() -> frozenset[str]:
    return frozenset(_norm(w) for w in _split_list(_REGIONS))
