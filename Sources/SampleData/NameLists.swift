/// Embedded name and place lists for synthetic people.
///
/// Written for this project: common given and family names with made-up relative weights that give a realistic
/// skew (a few names very common, a long tail of rare ones), plus rare family names composed from syllables so
/// that term frequency matters to a matcher. No list comes from a person register.
enum NameLists {
    /// Common family names with relative weights (roughly: people per 100,000).
    static let commonFamily: [(String, Double)] = [
        ("Smith", 830), ("Johnson", 660), ("Williams", 550), ("Brown", 490), ("Jones", 480), ("Garcia", 470),
        ("Miller", 400), ("Davis", 380), ("Rodriguez", 370), ("Martinez", 360), ("Hernandez", 350),
        ("Lopez", 300), ("Gonzalez", 290), ("Wilson", 250), ("Anderson", 240), ("Thomas", 240), ("Taylor", 235),
        ("Moore", 230), ("Jackson", 225), ("Martin", 224), ("Lee", 220), ("Perez", 215), ("Thompson", 210),
        ("White", 210), ("Harris", 200), ("Sanchez", 200), ("Clark", 190), ("Ramirez", 190), ("Lewis", 180),
        ("Robinson", 175), ("Walker", 170), ("Young", 165), ("Allen", 165), ("King", 160), ("Wright", 160),
        ("Scott", 155), ("Torres", 150), ("Nguyen", 150), ("Hill", 150), ("Flores", 150), ("Green", 145),
        ("Adams", 140), ("Nelson", 140), ("Baker", 140), ("Hall", 135), ("Rivera", 135), ("Campbell", 130),
        ("Mitchell", 130), ("Carter", 130), ("Roberts", 130), ("Gomez", 120), ("Phillips", 118), ("Evans", 115),
        ("Turner", 115), ("Diaz", 115), ("Parker", 110), ("Cruz", 110), ("Edwards", 110), ("Collins", 108),
        ("Reyes", 108), ("Stewart", 105), ("Morris", 105), ("Morales", 104), ("Murphy", 103), ("Cook", 100),
        ("Rogers", 100), ("Gutierrez", 98), ("Ortiz", 97), ("Morgan", 96), ("Cooper", 95), ("Peterson", 94),
        ("Bailey", 93), ("Reed", 92), ("Kelly", 91), ("Howard", 90), ("Ramos", 89), ("Kim", 88), ("Cox", 87),
        ("Ward", 86), ("Richardson", 85), ("Watson", 84), ("Brooks", 83), ("Chavez", 82), ("Wood", 81),
        ("James", 80), ("Bennett", 79), ("Gray", 78), ("Mendoza", 77), ("Ruiz", 76), ("Hughes", 75),
        ("Price", 74), ("Alvarez", 73), ("Castillo", 72), ("Sanders", 71), ("Patel", 70), ("Myers", 69),
        ("Long", 68), ("Ross", 67), ("Foster", 66), ("Jimenez", 65), ("Powell", 64), ("Jenkins", 63),
        ("Perry", 62), ("Russell", 61), ("Sullivan", 60), ("Bell", 59), ("Coleman", 58), ("Butler", 57),
        ("Henderson", 56), ("Barnes", 55), ("Gonzales", 54), ("Fisher", 53), ("Vasquez", 52), ("Simmons", 51),
        ("Romero", 50), ("Jordan", 49), ("Patterson", 48), ("Alexander", 47), ("Hamilton", 46), ("Graham", 45),
        ("Reynolds", 44), ("Griffin", 43), ("Wallace", 42), ("Moreno", 41), ("West", 40), ("Cole", 39),
        ("Hayes", 38), ("Bryant", 37), ("Herrera", 36), ("Gibson", 35), ("Ellis", 34), ("Tran", 34),
        ("Medina", 33), ("Aguilar", 32), ("Stevens", 31), ("Murray", 30), ("Ford", 29), ("Castro", 28),
        ("Marshall", 27), ("Owens", 26), ("Harrison", 25), ("Fernandez", 24), ("McDonald", 23), ("Woods", 22),
        ("Washington", 22), ("Kennedy", 21), ("Wells", 20), ("Vargas", 20), ("Henry", 19), ("Chen", 19),
        ("Freeman", 18), ("Webb", 18), ("Tucker", 17), ("Guzman", 17), ("Burns", 16), ("Crawford", 16),
        ("Olson", 15), ("Simpson", 15), ("Porter", 15), ("Hunter", 14), ("Gordon", 14), ("Mendez", 14),
        ("Silva", 13), ("Shaw", 13), ("Snyder", 13), ("Mason", 12), ("Dixon", 12), ("Munoz", 12), ("Hunt", 12),
        ("Hicks", 11), ("Holmes", 11), ("Palmer", 11), ("Wagner", 11), ("Black", 10), ("Robertson", 10),
        ("Boyd", 10), ("Rose", 10), ("Stone", 9), ("Salazar", 9), ("Fox", 9), ("Warren", 9), ("Mills", 9),
        ("Meyer", 8), ("Rice", 8), ("Schmidt", 8), ("Garza", 8), ("Daniels", 8), ("Ferguson", 7), ("Nichols", 7),
        ("Stephens", 7), ("Soto", 7), ("Weaver", 7), ("Ryan", 7), ("Gardner", 6), ("Payne", 6), ("Grant", 6),
        ("Dunn", 6), ("Kelley", 6), ("Spencer", 6), ("Hawkins", 6), ("Arnold", 5), ("Pierce", 5),
        ("Vazquez", 5), ("Hansen", 5), ("Peters", 5), ("Santos", 5), ("Hart", 5), ("Bradley", 5), ("Knight", 5),
        ("Pham", 5), ("Le", 5), ("Huynh", 4), ("Vo", 4), ("Yang", 4), ("Wong", 4), ("Singh", 4), ("Shah", 3),
        ("Okafor", 2), ("Mensah", 2), ("Haddad", 2), ("Novak", 2), ("Kowalski", 2), ("Yamamoto", 2),
    ]

    /// Family names of Spanish origin, which sometimes come as two words (paternal and maternal).
    static let hispanicFamily: Set<String> = [
        "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez",
        "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Reyes", "Morales", "Gutierrez", "Ortiz", "Ramos",
        "Chavez", "Mendoza", "Ruiz", "Alvarez", "Castillo", "Jimenez", "Vasquez", "Romero", "Moreno", "Herrera",
        "Medina", "Aguilar", "Castro", "Fernandez", "Vargas", "Guzman", "Mendez", "Munoz", "Salazar", "Garza",
        "Soto", "Vazquez", "Santos",
    ]

    /// Syllables composed into rare family names (`Hal` + `verson`): the long tail, each name rare.
    static let rareFamilyStarts = [
        "Ab", "Al", "Bar", "Bel", "Cal", "Dor", "Ek", "Fen", "Gal", "Hal", "Is", "Kal", "Lin", "Mar", "Nor",
        "Ok", "Pel", "Quin", "Ros", "Sal", "Tam", "Ul", "Van", "Wen", "Yar", "Zel", "Brun", "Chal", "Dra", "Fal",
        "Gor", "Hav", "Jor", "Kes", "Lom", "Mor", "Nev", "Ost", "Pra", "Rad", "Sten", "Tor", "Vel", "Wes", "Bro",
        "Cor", "Dun", "Eld", "Far", "Gil", "Ad", "Ob", "Ez", "Chi", "Nwa", "Ama", "Kof", "Tev", "Ash", "Bex",
    ]
    static let rareFamilyEnds = [
        "stad", "berg", "ley", "wick", "son", "sen", "ovic", "enko", "aki", "ian", "ello", "ardo", "ford",
        "ton", "ridge", "mann", "quist", "well", "bury", "kowski", "escu", "oglu", "ani", "etti", "wala", "ade",
        "onkwo", "eyemi", "afor", "uchi", "verson", "holm", "dahl", "ino", "aro", "ez", "ova", "itz", "ski",
        "worth",
    ]

    /// Female given names common among adults (born 1950–2005), with relative weights.
    static let femaleAdult: [(String, Double)] = [
        ("Jennifer", 90), ("Jessica", 85), ("Ashley", 80), ("Sarah", 75), ("Amanda", 70), ("Elizabeth", 70),
        ("Mary", 68), ("Stephanie", 60), ("Nicole", 58), ("Melissa", 55), ("Michelle", 55), ("Kimberly", 50),
        ("Patricia", 48), ("Linda", 45), ("Barbara", 42), ("Susan", 40), ("Margaret", 38), ("Lisa", 38),
        ("Karen", 36), ("Nancy", 34), ("Sandra", 32), ("Donna", 30), ("Laura", 30), ("Rebecca", 30),
        ("Katherine", 30), ("Christine", 28), ("Samantha", 28), ("Rachel", 27), ("Heather", 27), ("Angela", 27),
        ("Emily", 26), ("Amy", 26), ("Maria", 26), ("Rosa", 14), ("Ana", 14), ("Guadalupe", 12), ("Veronica", 12),
        ("Christina", 20), ("Danielle", 18), ("Tiffany", 16), ("Crystal", 14), ("Erica", 14), ("Monica", 14),
        ("Andrea", 14), ("Kelly", 14), ("Megan", 16), ("Lauren", 16), ("Brittany", 16), ("Kathleen", 12),
        ("Deborah", 12), ("Cynthia", 12), ("Sharon", 10), ("Carol", 10), ("Helen", 8), ("Dorothy", 6),
        ("Theresa", 8), ("Victoria", 10), ("Alexandra", 8), ("Natalie", 8), ("Diana", 8), ("Yesenia", 6),
        ("Thi", 6), ("Mai", 5), ("Linh", 4), ("Priya", 4), ("Fatima", 4), ("Aisha", 4), ("Ngozi", 2),
        ("Ingrid", 2), ("Marisol", 4), ("Lorena", 4), ("Tamika", 5), ("Latoya", 5), ("Keisha", 4), ("Juanita", 3),
        ("Abigail", 6), ("Susana", 3), ("Beatriz", 3), ("Wendy", 6), ("Tara", 6), ("Dana", 6), ("Jill", 5),
        ("Gabriela", 6), ("Claudia", 6), ("Leticia", 4), ("Irene", 3), ("Rosalind", 1), ("Philippa", 1),
    ]

    /// Male given names common among adults (born 1950–2005), with relative weights.
    static let maleAdult: [(String, Double)] = [
        ("Michael", 100), ("James", 90), ("John", 85), ("Robert", 85), ("David", 80), ("William", 75),
        ("Christopher", 70), ("Joseph", 60), ("Daniel", 60), ("Matthew", 58), ("Richard", 50), ("Thomas", 48),
        ("Charles", 42), ("Anthony", 42), ("Mark", 38), ("Steven", 36), ("Andrew", 36), ("Joshua", 36),
        ("Kevin", 32), ("Brian", 32), ("Jason", 32), ("Timothy", 28), ("Jeffrey", 28), ("Ryan", 26),
        ("Jacob", 24), ("Gary", 22), ("Nicholas", 22), ("Eric", 22), ("Jonathan", 22), ("Stephen", 20),
        ("Larry", 16), ("Justin", 18), ("Scott", 18), ("Brandon", 18), ("Benjamin", 18), ("Samuel", 14),
        ("Gregory", 14), ("Alexander", 14), ("Patrick", 14), ("Frank", 12), ("Raymond", 12), ("Jose", 30),
        ("Juan", 24), ("Luis", 20), ("Carlos", 20), ("Jesus", 12), ("Miguel", 14), ("Francisco", 10),
        ("Antonio", 10), ("Alejandro", 8), ("Manuel", 8), ("Ricardo", 6), ("Edward", 14), ("Donald", 12),
        ("Kenneth", 14), ("Paul", 14), ("George", 10), ("Peter", 10), ("Henry", 6), ("Walter", 5), ("Dennis", 8),
        ("Jerry", 8), ("Tyrone", 4), ("Darnell", 4), ("Andre", 6), ("Marcus", 8), ("Terrence", 4), ("Duc", 3),
        ("Minh", 3), ("Tuan", 3), ("Raj", 3), ("Omar", 4), ("Ahmed", 3), ("Chukwuemeka", 1), ("Soren", 1),
        ("Vincent", 8), ("Victor", 8), ("Travis", 8), ("Derek", 6), ("Shawn", 8), ("Aaron", 10), ("Adam", 10),
        ("Nathan", 10), ("Zachary", 8), ("Kyle", 10), ("Sean", 10), ("Ronald", 10), ("Alan", 6), ("Roberto", 5),
        ("Eduardo", 5), ("Javier", 6), ("Oscar", 5), ("Ignatius", 1), ("Thaddeus", 1),
    ]

    /// Female given names common among children (born 2008–2026), with relative weights.
    static let femaleChild: [(String, Double)] = [
        ("Olivia", 90), ("Emma", 88), ("Charlotte", 70), ("Amelia", 68), ("Sophia", 66), ("Mia", 60),
        ("Isabella", 60), ("Ava", 58), ("Evelyn", 45), ("Luna", 40), ("Harper", 40), ("Sofia", 40),
        ("Camila", 38), ("Eleanor", 30), ("Elizabeth", 30), ("Violet", 28), ("Scarlett", 28), ("Emily", 28),
        ("Hazel", 26), ("Lily", 26), ("Gianna", 22), ("Aurora", 22), ("Penelope", 20), ("Aria", 20),
        ("Nora", 20), ("Chloe", 20), ("Ellie", 18), ("Mila", 18), ("Avery", 18), ("Layla", 18), ("Abigail", 18),
        ("Ella", 16), ("Isla", 16), ("Eliana", 14), ("Nova", 14), ("Madison", 14), ("Zoe", 14), ("Ivy", 12),
        ("Grace", 12), ("Lucy", 12), ("Willow", 12), ("Emilia", 10), ("Riley", 10), ("Naomi", 10),
        ("Victoria", 10), ("Stella", 10), ("Elena", 10), ("Hannah", 10), ("Valentina", 10), ("Maya", 10),
        ("Zoey", 8), ("Delilah", 8), ("Leah", 8), ("Lillian", 8), ("Paisley", 8), ("Genesis", 6),
        ("Madelyn", 6), ("Sadie", 6), ("Sophie", 6), ("Leilani", 6), ("Addison", 6), ("Natalie", 6),
        ("Josephine", 6), ("Alice", 6), ("Ruby", 6), ("Claire", 6), ("Kinsley", 4), ("Everly", 4), ("Emery", 4),
        ("Adeline", 4), ("Kennedy", 4), ("Maeve", 4), ("Audrey", 4), ("Autumn", 4), ("Athena", 4), ("Eden", 4),
        ("Iris", 4), ("Anna", 6), ("Eloise", 4), ("Jade", 4), ("Maria", 6), ("Caroline", 4), ("Brooklyn", 6),
        ("Quinn", 4), ("Aaliyah", 6), ("Vivian", 4), ("Gabriella", 4), ("Hailey", 4), ("Savannah", 4),
        ("Cora", 4), ("Katherine", 4), ("Margaret", 3), ("Ximena", 4), ("Itzel", 2), ("Anh", 2), ("Amara", 2),
        ("Zainab", 1), ("Saoirse", 1), ("Ingrid", 1), ("Jaylee", 2), ("Kaylee", 4), ("Jasmine", 4),
    ]

    /// Male given names common among children (born 2008–2026), with relative weights.
    static let maleChild: [(String, Double)] = [
        ("Liam", 95), ("Noah", 90), ("Oliver", 70), ("James", 62), ("Elijah", 60), ("William", 58),
        ("Henry", 50), ("Lucas", 50), ("Benjamin", 48), ("Theodore", 44), ("Mateo", 42), ("Levi", 40),
        ("Sebastian", 38), ("Daniel", 36), ("Jack", 34), ("Michael", 34), ("Alexander", 32), ("Owen", 30),
        ("Asher", 28), ("Samuel", 28), ("Ethan", 28), ("Leo", 26), ("Jackson", 26), ("Mason", 26), ("Ezra", 24),
        ("John", 22), ("Hudson", 22), ("Luca", 20), ("Aiden", 20), ("Joseph", 20), ("David", 20), ("Jacob", 20),
        ("Logan", 18), ("Luke", 18), ("Julian", 18), ("Gabriel", 18), ("Grayson", 16), ("Wyatt", 16),
        ("Matthew", 16), ("Maverick", 14), ("Dylan", 14), ("Isaac", 14), ("Elias", 14), ("Anthony", 14),
        ("Thomas", 12), ("Jayden", 12), ("Carter", 12), ("Santiago", 12), ("Ezekiel", 10), ("Charles", 10),
        ("Josiah", 10), ("Caleb", 10), ("Cooper", 8), ("Lincoln", 8), ("Miles", 8), ("Christopher", 8),
        ("Nathan", 8), ("Isaiah", 8), ("Kai", 8), ("Joshua", 8), ("Andrew", 8), ("Angel", 8), ("Adrian", 8),
        ("Cameron", 6), ("Nolan", 6), ("Waylon", 6), ("Jaxon", 6), ("Roman", 6), ("Eli", 6), ("Wesley", 6),
        ("Aaron", 6), ("Ian", 6), ("Christian", 6), ("Ryan", 6), ("Leonardo", 6), ("Brooks", 4), ("Axel", 4),
        ("Walker", 4), ("Jonathan", 4), ("Easton", 4), ("Everett", 4), ("Jose", 6), ("Diego", 4), ("Emiliano", 4),
        ("Jaylen", 4), ("Jaden", 4), ("Robert", 4), ("Richard", 2), ("Bao", 1), ("Arjun", 2), ("Yusuf", 2),
        ("Kwame", 1), ("Tobiah", 1), ("Cillian", 1),
    ]

    /// Nicknames (and short forms) by formal given name; the first is the most common.
    static let nicknames: [String: [String]] = [
        "William": ["Bill", "Will", "Billy", "Liam"], "Robert": ["Bob", "Rob", "Bobby", "Bert"],
        "Richard": ["Rick", "Dick", "Rich", "Ricky"], "James": ["Jim", "Jimmy", "Jamie"],
        "John": ["Jack", "Johnny"], "Michael": ["Mike", "Mikey"], "Christopher": ["Chris", "Topher"],
        "Joseph": ["Joe", "Joey"], "Daniel": ["Dan", "Danny"], "Matthew": ["Matt"], "Thomas": ["Tom", "Tommy"],
        "Charles": ["Charlie", "Chuck"], "Anthony": ["Tony"], "Steven": ["Steve"], "Stephen": ["Steve"],
        "Andrew": ["Andy", "Drew"], "Joshua": ["Josh"], "Timothy": ["Tim", "Timmy"], "Jeffrey": ["Jeff"],
        "Nicholas": ["Nick", "Nicky"], "Jonathan": ["Jon"], "Benjamin": ["Ben", "Benny"], "Samuel": ["Sam"],
        "Gregory": ["Greg"], "Alexander": ["Alex", "Xander"], "Patrick": ["Pat"], "Edward": ["Ed", "Eddie", "Ted"],
        "Donald": ["Don", "Donny"], "Kenneth": ["Ken", "Kenny"], "Raymond": ["Ray"], "Theodore": ["Theo", "Ted"],
        "Francisco": ["Paco", "Pancho"], "Jose": ["Pepe"], "Manuel": ["Manny"], "Alejandro": ["Alex"],
        "Zachary": ["Zach"], "Nathan": ["Nate"], "Jacob": ["Jake"], "Henry": ["Hank"], "Lucas": ["Luke"],
        "Elizabeth": ["Liz", "Beth", "Betty", "Eliza", "Lizzie"], "Katherine": ["Kate", "Katie", "Kathy"],
        "Margaret": ["Maggie", "Peggy", "Meg"], "Jennifer": ["Jen", "Jenny"], "Jessica": ["Jess", "Jessie"],
        "Samantha": ["Sam", "Sammy"], "Rebecca": ["Becky", "Becca"], "Patricia": ["Patty", "Trish", "Pat"],
        "Susan": ["Sue", "Susie"], "Deborah": ["Debbie", "Deb"], "Kimberly": ["Kim"], "Victoria": ["Vicky", "Tori"],
        "Abigail": ["Abby"], "Alexandra": ["Alex", "Lexi"], "Christina": ["Tina", "Chris"], "Christine": ["Chris"],
        "Amanda": ["Mandy"], "Cynthia": ["Cindy"], "Dorothy": ["Dot", "Dottie"], "Barbara": ["Barb"],
        "Kathleen": ["Kathy", "Kate"], "Isabella": ["Bella", "Izzy"], "Olivia": ["Liv"], "Sophia": ["Sophie"],
        "Eleanor": ["Ellie", "Nora"], "Penelope": ["Penny"], "Madison": ["Maddie"], "Natalie": ["Nat"],
        "Gabriella": ["Gabby"], "Valentina": ["Vale"], "Josephine": ["Josie"], "Guadalupe": ["Lupe"],
    ]

    /// Female middle names (used for both eras).
    static let femaleMiddle = [
        "Marie", "Ann", "Lynn", "Rose", "Grace", "Elizabeth", "Nicole", "Jean", "Louise", "Mae", "Sofia", "Isabel",
    ]
    /// Male middle names (used for both eras).
    static let maleMiddle = [
        "James", "Lee", "Michael", "Allen", "Joseph", "Ray", "Thomas", "Wayne", "Alexander", "Jose", "Luis",
        "Edward",
    ]

    /// Street names (the part before the street type).
    static let streets = [
        "Oak", "Maple", "Cedar", "Pine", "Elm", "Willow", "Birch", "Spruce", "Walnut", "Chestnut", "Main",
        "Church", "Mill", "River", "Lake", "Park", "Hill", "Valley", "Ridge", "Meadow", "Sunset", "Highland",
        "Washington", "Lincoln", "Jefferson", "Franklin", "Madison", "Adams", "Jackson", "Grant", "Harbor",
        "Orchard", "Spring", "Forest", "Prospect", "Union", "Center", "School", "Railroad", "Depot", "Bridge",
        "Fairview", "Hawthorne", "Magnolia", "Juniper", "Alder", "Laurel", "Dogwood", "Sycamore", "Aspen",
        "Cherry", "Poplar", "Hemlock", "Hickory", "Sequoia", "Bayview", "Canyon", "Summit", "Granite", "Quarry",
        "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "11th", "12th",
    ]

    /// Street types: the written-out form and the USPS abbreviation.
    static let streetTypes: [(full: String, abbreviation: String)] = [
        ("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"), ("Lane", "Ln"), ("Court", "Ct"),
        ("Boulevard", "Blvd"), ("Place", "Pl"), ("Way", "Way"), ("Terrace", "Ter"), ("Circle", "Cir"),
    ]

    /// Directional prefixes, sometimes written before a street name.
    static let directions = ["N", "S", "E", "W", "NE", "NW", "SE", "SW"]
}
