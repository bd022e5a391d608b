/// Fixed text tables the mailbox generator draws from: people's names in several scripts,
/// per-language phrases, subject templates and automated senders. Keeping them apart from
/// the algorithm makes both easier to read.
enum Language: UInt8, Sendable, CaseIterable {
    case english, french, german, spanish, portuguese, italian, polish
    case chinese, japanese, korean, russian, greek, arabic, hebrew

    var isRightToLeft: Bool { self == .arabic || self == .hebrew }

    /// `lang` attribute for HTML bodies.
    var code: String {
        switch self {
        case .english: "en"
        case .french: "fr"
        case .german: "de"
        case .spanish: "es"
        case .portuguese: "pt"
        case .italian: "it"
        case .polish: "pl"
        case .chinese: "zh"
        case .japanese: "ja"
        case .korean: "ko"
        case .russian: "ru"
        case .greek: "el"
        case .arabic: "ar"
        case .hebrew: "he"
        }
    }
}

/// A name in its own script plus an ASCII form for the e-mail address.
struct NamePart {
    var native: String
    var ascii: String
    /// Only where the family name changes with gender (Russian, Greek).
    var feminine: String?
}

enum NameOrder {
    case givenFirst, familyFirstSpaced, familyFirstJoined
}

struct Locale {
    var language: Language
    var order: NameOrder
    /// `true` = feminine given name (matters for gendered family names).
    var given: [(NamePart, Bool)]
    var family: [NamePart]
    var weight: Double
}

enum GeneratorText {
    static let ownerName = "Alex Morgan"
    static let ownerGiven = "Alex"
    static let ownerSurname = "Morgan"
    static let ownerAddress = "alex.morgan@contoso.com"
    static let ownerDomain = "contoso.com"

    static func n(_ native: String, _ ascii: String, _ feminine: String? = nil) -> NamePart {
        NamePart(native: native, ascii: ascii, feminine: feminine)
    }

    static let locales: [Locale] = [
        Locale(
            language: .english, order: .givenFirst,
            given: [
                (n("James", "James"), false), (n("Olivia", "Olivia"), true), (n("Michael", "Michael"), false),
                (n("Emma", "Emma"), true), (n("Daniel", "Daniel"), false), (n("Grace", "Grace"), true),
                (n("Ryan", "Ryan"), false), (n("Chloe", "Chloe"), true), (n("Ethan", "Ethan"), false),
                (n("Hannah", "Hannah"), true), (n("Nathan", "Nathan"), false), (n("Megan", "Megan"), true),
                (n("Zoë", "Zoe"), true), (n("Priya", "Priya"), true), (n("Marcus", "Marcus"), false),
                (n("Renée", "Renee"), true),
            ],
            family: [
                n("Carter", "Carter"), n("Patel", "Patel"), n("Brooks", "Brooks"), n("Sullivan", "Sullivan"),
                n("Reed", "Reed"), n("Foster", "Foster"), n("Hughes", "Hughes"), n("Bennett", "Bennett"),
                n("Coleman", "Coleman"), n("Hayes", "Hayes"), n("Price", "Price"), n("Fisher", "Fisher"),
                n("O'Connor", "OConnor"), n("Washington", "Washington"),
            ],
            weight: 34),
        Locale(
            language: .french, order: .givenFirst,
            given: [
                (n("Amélie", "Amelie"), true), (n("Hélène", "Helene"), true), (n("François", "Francois"), false),
                (n("Léa", "Lea"), true), (n("Jérôme", "Jerome"), false), (n("Chloé", "Chloe"), true),
                (n("Théo", "Theo"), false), (n("Benoît", "Benoit"), false),
            ],
            family: [
                n("Dubois", "Dubois"), n("Lefèvre", "Lefevre"), n("Moreau", "Moreau"), n("Girard", "Girard"),
                n("Bénard", "Benard"), n("Lemaître", "Lemaitre"), n("Fontaine", "Fontaine"), n("Mercier", "Mercier"),
            ],
            weight: 7),
        Locale(
            language: .german, order: .givenFirst,
            given: [
                (n("Jürgen", "Juergen"), false), (n("Lena", "Lena"), true), (n("Matthias", "Matthias"), false),
                (n("Jörg", "Joerg"), false), (n("Anja", "Anja"), true), (n("Björn", "Bjoern"), false),
                (n("Sabine", "Sabine"), true), (n("Käthe", "Kaethe"), true),
            ],
            family: [
                n("Müller", "Mueller"), n("Schröder", "Schroeder"), n("Weiß", "Weiss"), n("Hoffmann", "Hoffmann"),
                n("Köhler", "Koehler"), n("Groß", "Gross"), n("Krüger", "Krueger"), n("Schäfer", "Schaefer"),
            ],
            weight: 7),
        Locale(
            language: .spanish, order: .givenFirst,
            given: [
                (n("José", "Jose"), false), (n("María", "Maria"), true), (n("Sofía", "Sofia"), true),
                (n("Andrés", "Andres"), false), (n("Lucía", "Lucia"), true), (n("Raúl", "Raul"), false),
                (n("Inés", "Ines"), true), (n("Álvaro", "Alvaro"), false),
            ],
            family: [
                n("García", "Garcia"), n("Martínez", "Martinez"), n("López", "Lopez"), n("Sánchez", "Sanchez"),
                n("Pérez", "Perez"), n("Gómez", "Gomez"), n("Muñoz", "Munoz"), n("Ibáñez", "Ibanez"),
            ],
            weight: 7),
        Locale(
            language: .portuguese, order: .givenFirst,
            given: [
                (n("João", "Joao"), false), (n("Inês", "Ines"), true), (n("Gonçalo", "Goncalo"), false),
                (n("Beatriz", "Beatriz"), true), (n("Luís", "Luis"), false), (n("Mariana", "Mariana"), true),
            ],
            family: [
                n("Gonçalves", "Goncalves"), n("Araújo", "Araujo"), n("Simões", "Simoes"),
                n("Magalhães", "Magalhaes"), n("Ribeiro", "Ribeiro"),
            ],
            weight: 3),
        Locale(
            language: .italian, order: .givenFirst,
            given: [
                (n("Giulia", "Giulia"), true), (n("Lorenzo", "Lorenzo"), false), (n("Chiara", "Chiara"), true),
                (n("Niccolò", "Niccolo"), false), (n("Francesca", "Francesca"), true), (n("Matteo", "Matteo"), false),
            ],
            family: [
                n("Rossi", "Rossi"), n("Bianchi", "Bianchi"), n("Esposito", "Esposito"), n("Ricci", "Ricci"),
                n("Marchetti", "Marchetti"), n("Colombo", "Colombo"),
            ],
            weight: 3),
        Locale(
            language: .polish, order: .givenFirst,
            given: [
                (n("Łukasz", "Lukasz"), false), (n("Małgorzata", "Malgorzata"), true), (n("Paweł", "Pawel"), false),
                (n("Agnieszka", "Agnieszka"), true), (n("Michał", "Michal"), false), (n("Zofia", "Zofia"), true),
            ],
            family: [
                n("Nowak", "Nowak"), n("Wójcik", "Wojcik"), n("Kowalczyk", "Kowalczyk"), n("Mazur", "Mazur"),
                n("Krawczyk", "Krawczyk"), n("Sikora", "Sikora"),
            ],
            weight: 3),
        // Irish, Nordic, Turkish, Vietnamese and Ukrainian names write English mail here.
        Locale(
            language: .english, order: .givenFirst,
            given: [
                (n("Siobhán", "Siobhan"), true), (n("Seán", "Sean"), false), (n("Aoife", "Aoife"), true),
                (n("Ciarán", "Ciaran"), false), (n("Róisín", "Roisin"), true), (n("Niamh", "Niamh"), true),
            ],
            family: [
                n("Ó Súilleabháin", "OSuilleabhain"), n("Ó Briain", "OBriain"), n("Mac Cárthaigh", "MacCarthaigh"),
                n("Gallagher", "Gallagher"), n("Byrne", "Byrne"),
            ],
            weight: 2),
        Locale(
            language: .english, order: .givenFirst,
            given: [
                (n("Øyvind", "Oyvind"), false), (n("Åsa", "Asa"), true), (n("Søren", "Soren"), false),
                (n("Sigrún", "Sigrun"), true), (n("Linnéa", "Linnea"), true), (n("Mikael", "Mikael"), false),
            ],
            family: [
                n("Bjørnstad", "Bjornstad"), n("Lindqvist", "Lindqvist"), n("Sjöberg", "Sjoberg"),
                n("Nyström", "Nystrom"), n("Dahl", "Dahl"),
            ],
            weight: 3),
        Locale(
            language: .english, order: .givenFirst,
            given: [
                (n("Çağla", "Cagla"), true), (n("Mehmet", "Mehmet"), false), (n("Ayşe", "Ayse"), true),
                (n("Gökhan", "Gokhan"), false), (n("Zeynep", "Zeynep"), true),
            ],
            family: [
                n("Yıldız", "Yildiz"), n("Öztürk", "Ozturk"), n("Şahin", "Sahin"), n("Çelik", "Celik"),
                n("Doğan", "Dogan"),
            ],
            weight: 2),
        Locale(
            language: .english, order: .familyFirstSpaced,
            given: [
                (n("Thị Thu", "Thu"), true), (n("Văn Minh", "Minh"), false), (n("Thị Lan", "Lan"), true),
                (n("Đức Anh", "DucAnh"), false),
            ],
            family: [n("Nguyễn", "Nguyen"), n("Trần", "Tran"), n("Lê", "Le"), n("Phạm", "Pham")],
            weight: 2),
        Locale(
            language: .english, order: .givenFirst,
            given: [
                (n("Олена", "Olena"), true), (n("Тарас", "Taras"), false), (n("Оксана", "Oksana"), true),
                (n("Богдан", "Bohdan"), false),
            ],
            family: [n("Шевченко", "Shevchenko"), n("Коваленко", "Kovalenko"), n("Бондаренко", "Bondarenko")],
            weight: 2),
        Locale(
            language: .chinese, order: .familyFirstJoined,
            given: [
                (n("伟", "Wei"), false), (n("敏", "Min"), true), (n("静", "Jing"), true), (n("磊", "Lei"), false),
                (n("婷", "Ting"), true), (n("浩然", "Haoran"), false), (n("晓明", "Xiaoming"), false),
                (n("雪", "Xue"), true),
            ],
            family: [
                n("张", "Zhang"), n("王", "Wang"), n("李", "Li"), n("刘", "Liu"), n("陈", "Chen"), n("杨", "Yang"),
                n("赵", "Zhao"), n("黄", "Huang"),
            ],
            weight: 6),
        Locale(
            language: .japanese, order: .familyFirstSpaced,
            given: [
                (n("陽翔", "Haruto"), false), (n("結衣", "Yui"), true), (n("大輔", "Daisuke"), false),
                (n("美咲", "Misaki"), true), (n("健太", "Kenta"), false), (n("彩花", "Ayaka"), true),
            ],
            family: [
                n("佐藤", "Sato"), n("鈴木", "Suzuki"), n("高橋", "Takahashi"), n("田中", "Tanaka"),
                n("渡辺", "Watanabe"), n("山本", "Yamamoto"),
            ],
            weight: 5),
        Locale(
            language: .korean, order: .familyFirstJoined,
            given: [
                (n("민준", "Minjun"), false), (n("서연", "Seoyeon"), true), (n("지훈", "Jihoon"), false),
                (n("하은", "Haeun"), true), (n("도윤", "Doyun"), false), (n("수아", "Sua"), true),
            ],
            family: [n("김", "Kim"), n("이", "Lee"), n("박", "Park"), n("최", "Choi"), n("정", "Jung"), n("강", "Kang")],
            weight: 4),
        Locale(
            language: .russian, order: .givenFirst,
            given: [
                (n("Дмитрий", "Dmitry"), false), (n("Анна", "Anna"), true), (n("Сергей", "Sergey"), false),
                (n("Ольга", "Olga"), true), (n("Алексей", "Alexey"), false), (n("Екатерина", "Ekaterina"), true),
            ],
            family: [
                n("Смирнов", "Smirnov", "Смирнова"), n("Кузнецов", "Kuznetsov", "Кузнецова"),
                n("Соколов", "Sokolov", "Соколова"), n("Лебедев", "Lebedev", "Лебедева"),
                n("Новиков", "Novikov", "Новикова"),
            ],
            weight: 4),
        Locale(
            language: .greek, order: .givenFirst,
            given: [
                (n("Γιώργος", "Giorgos"), false), (n("Μαρία", "Maria"), true), (n("Νίκος", "Nikos"), false),
                (n("Ελένη", "Eleni"), true), (n("Δημήτρης", "Dimitris"), false), (n("Κατερίνα", "Katerina"), true),
            ],
            family: [
                n("Παπαδόπουλος", "Papadopoulos", "Παπαδοπούλου"), n("Γεωργίου", "Georgiou"),
                n("Οικονόμου", "Oikonomou"), n("Καραγιάννης", "Karagiannis", "Καραγιάννη"),
            ],
            weight: 3),
        Locale(
            language: .arabic, order: .givenFirst,
            given: [
                (n("أحمد", "Ahmed"), false), (n("فاطمة", "Fatima"), true), (n("محمد", "Mohamed"), false),
                (n("ليلى", "Layla"), true), (n("يوسف", "Youssef"), false), (n("مريم", "Mariam"), true),
            ],
            family: [n("حداد", "Haddad"), n("منصور", "Mansour"), n("خليل", "Khalil"), n("عبد الله", "Abdullah")],
            weight: 3),
        Locale(
            language: .hebrew, order: .givenFirst,
            given: [
                (n("נועה", "Noa"), true), (n("איתי", "Itai"), false), (n("מיכל", "Michal"), true),
                (n("יונתן", "Yonatan"), false), (n("תמר", "Tamar"), true),
            ],
            family: [n("כהן", "Cohen"), n("לוי", "Levi"), n("מזרחי", "Mizrahi"), n("פרץ", "Peretz")],
            weight: 2),
    ]

    /// Partner domains (Microsoft's fictitious companies). Colleagues use `contoso.com`.
    static let externalDomains = [
        "fabrikam.com", "northwindtraders.com", "adventure-works.com", "tailspintoys.com", "wingtiptoys.com",
        "litwareinc.com", "proseware.com", "fourthcoffee.com", "alpineskihouse.com", "treyresearch.net",
        "lucernepublishing.com", "coho-winery.com", "relecloud.com", "blueyonderairlines.com",
        "wideworldimporters.com", "cpandl.com", "margiestravel.com", "humongousinsurance.com",
    ]

    // MARK: - Phrases per language

    static func greeting(_ language: Language, name: String, variant: Int) -> String {
        switch language {
        case .english: ["Hi \(name),", "Hello \(name),", "Dear \(name),", "\(name),"][variant % 4]
        case .french: ["Bonjour \(name),", "Salut \(name),"][variant % 2]
        case .german: ["Hallo \(name),", "Guten Morgen \(name),"][variant % 2]
        case .spanish: "Hola \(name):"
        case .portuguese: "Olá \(name),"
        case .italian: "Ciao \(name),"
        case .polish: "Cześć \(name),"
        case .chinese: "\(name)，您好："
        case .japanese: "\(name)さん、お疲れさまです。"
        case .korean: "\(name)님, 안녕하세요."
        case .russian: "Здравствуйте, \(name)!"
        case .greek: "Γεια σου \(name),"
        case .arabic: "مرحباً \(name)،"
        case .hebrew: "שלום \(name),"
        }
    }

    static func signOff(_ language: Language, variant: Int) -> String {
        switch language {
        case .english: ["Thanks,", "Best,", "Cheers,", "Kind regards,", "Thank you,"][variant % 5]
        case .french: ["Merci,", "Bien cordialement,"][variant % 2]
        case .german: ["Viele Grüße,", "Beste Grüße,"][variant % 2]
        case .spanish: ["Gracias,", "Saludos,"][variant % 2]
        case .portuguese: ["Obrigado,", "Abraços,"][variant % 2]
        case .italian: ["Grazie,", "A presto,"][variant % 2]
        case .polish: "Pozdrawiam,"
        case .chinese: "谢谢！"
        case .japanese: "よろしくお願いいたします。"
        case .korean: "감사합니다."
        case .russian: "С уважением,"
        case .greek: "Ευχαριστώ,"
        case .arabic: "مع التحية،"
        case .hebrew: "תודה,"
        }
    }

    /// Sentences for the non-English languages (English sentences are composed from parts).
    static func sentences(_ language: Language) -> [String] {
        switch language {
        case .english: []
        case .french: [
            "Je vous envoie le compte rendu de la réunion d'hier.",
            "Pouvez-vous vérifier les chiffres avant vendredi ?",
            "L'équipe a terminé la première version du prototype.",
            "Nous devons encore valider le budget avec la direction.",
            "Le client a apprécié la démonstration de mardi.",
            "Je serai en déplacement à Montréal la semaine prochaine.",
            "Merci de me faire part de vos remarques dès que possible.",
            "La nouvelle échéance est fixée à la fin du mois.",
        ]
        case .german: [
            "Anbei findest du die überarbeitete Präsentation.",
            "Könntest du bitte die Zahlen bis Freitag prüfen?",
            "Das Team hat die erste Version des Prototyps fertiggestellt.",
            "Wir müssen das Budget noch mit der Geschäftsleitung abstimmen.",
            "Der Kunde war mit der Vorführung am Dienstag sehr zufrieden.",
            "Nächste Woche bin ich auf Dienstreise in München.",
            "Gib mir bitte Bescheid, falls du Fragen hast.",
            "Der neue Termin für die Übergabe ist Ende des Monats.",
        ]
        case .spanish: [
            "Te envío el resumen de la reunión de ayer.",
            "¿Podrías revisar las cifras antes del viernes?",
            "El equipo terminó la primera versión del prototipo.",
            "Todavía tenemos que validar el presupuesto con la dirección.",
            "Al cliente le gustó mucho la demostración del martes.",
            "La próxima semana estaré de viaje en Barcelona.",
            "Avísame si tienes alguna pregunta.",
            "La nueva fecha de entrega es a finales de mes.",
        ]
        case .portuguese: [
            "Segue em anexo o resumo da reunião de ontem.",
            "Você poderia revisar os números até sexta-feira?",
            "A equipe concluiu a primeira versão do protótipo.",
            "Ainda precisamos aprovar o orçamento com a diretoria.",
            "O cliente gostou muito da demonstração de terça-feira.",
            "Na próxima semana estarei em São Paulo.",
            "Qualquer dúvida, é só me avisar.",
        ]
        case .italian: [
            "Ti mando il verbale della riunione di ieri.",
            "Potresti controllare i numeri entro venerdì?",
            "Il team ha completato la prima versione del prototipo.",
            "Dobbiamo ancora approvare il budget con la direzione.",
            "Al cliente è piaciuta molto la demo di martedì.",
            "La settimana prossima sarò in trasferta a Milano.",
            "Fammi sapere se hai domande.",
        ]
        case .polish: [
            "Przesyłam notatki z wczorajszego spotkania.",
            "Czy możesz sprawdzić liczby do piątku?",
            "Zespół ukończył pierwszą wersję prototypu.",
            "Musimy jeszcze zatwierdzić budżet z zarządem.",
            "Klientowi bardzo podobała się wtorkowa prezentacja.",
            "W przyszłym tygodniu będę w delegacji w Krakowie.",
            "Daj znać, jeśli masz pytania.",
        ]
        case .chinese: [
            "附件是昨天会议的纪要，请查收。",
            "请在周五之前审阅这些数据，并告诉我您的意见。",
            "团队已经完成了原型的第一个版本。",
            "我们还需要和管理层确认预算。",
            "客户对周二的演示非常满意。",
            "下周我会去上海出差。",
            "如有任何问题，请随时联系我。",
        ]
        case .japanese: [
            "昨日の会議の議事録を添付します。",
            "金曜日までに数字をご確認いただけますか。",
            "チームはプロトタイプの最初のバージョンを完成させました。",
            "予算については、まだ経営陣との調整が必要です。",
            "火曜日のデモはお客様にとても好評でした。",
            "来週は大阪に出張の予定です。",
            "ご不明な点があれば、お気軽にお知らせください。",
        ]
        case .korean: [
            "어제 회의록을 첨부합니다.",
            "금요일까지 수치를 검토해 주실 수 있을까요?",
            "팀이 프로토타입의 첫 번째 버전을 완성했습니다.",
            "예산은 아직 경영진과 확인이 필요합니다.",
            "고객이 화요일 데모에 매우 만족했습니다.",
            "다음 주에는 부산 출장이 있습니다.",
            "궁금한 점이 있으면 언제든지 알려 주세요.",
        ]
        case .russian: [
            "Отправляю протокол вчерашней встречи.",
            "Не могли бы вы проверить цифры до пятницы?",
            "Команда завершила первую версию прототипа.",
            "Нам ещё нужно согласовать бюджет с руководством.",
            "Клиенту очень понравилась демонстрация во вторник.",
            "На следующей неделе я буду в командировке в Казани.",
            "Если будут вопросы, пишите.",
        ]
        case .greek: [
            "Σας στέλνω τα πρακτικά της χθεσινής συνάντησης.",
            "Μπορείτε να ελέγξετε τα νούμερα μέχρι την Παρασκευή;",
            "Η ομάδα ολοκλήρωσε την πρώτη έκδοση του πρωτοτύπου.",
            "Πρέπει ακόμα να εγκρίνουμε τον προϋπολογισμό με τη διοίκηση.",
            "Ο πελάτης έμεινε πολύ ικανοποιημένος από την παρουσίαση της Τρίτης.",
            "Την επόμενη εβδομάδα θα είμαι στη Θεσσαλονίκη.",
            "Ενημερώστε με αν έχετε απορίες.",
        ]
        case .arabic: [
            "أرسل إليك محضر اجتماع الأمس.",
            "هل يمكنك مراجعة الأرقام قبل يوم الجمعة؟",
            "أنهى الفريق النسخة الأولى من النموذج الأولي.",
            "ما زلنا بحاجة إلى اعتماد الميزانية مع الإدارة.",
            "أعجب العميل كثيراً بالعرض التوضيحي يوم الثلاثاء.",
            "سأكون في رحلة عمل إلى دبي الأسبوع المقبل.",
            "لا تتردد في التواصل معي إذا كانت لديك أي أسئلة.",
        ]
        case .hebrew: [
            "מצורף הסיכום של הפגישה מאתמול.",
            "תוכל לבדוק את המספרים עד יום שישי?",
            "הצוות סיים את הגרסה הראשונה של אב הטיפוס.",
            "אנחנו עדיין צריכים לאשר את התקציב מול ההנהלה.",
            "הלקוח מאוד נהנה מההדגמה ביום שלישי.",
            "בשבוע הבא אהיה בנסיעת עבודה בחיפה.",
            "אם יש שאלות, אני זמין.",
        ]
        }
    }

    /// The sentence that follows an @-mention of the owner.
    static func mentionRequest(_ language: Language) -> String {
        switch language {
        case .english: "could you take a look at this when you have a moment?"
        case .french: "pourrais-tu jeter un œil à ce point ?"
        case .german: "könntest du dir das bitte ansehen?"
        case .spanish: "¿podrías revisar esto cuando tengas un momento?"
        case .portuguese: "você pode dar uma olhada nisso?"
        case .italian: "puoi dare un'occhiata a questo punto?"
        case .polish: "czy możesz na to spojrzeć?"
        case .chinese: "请帮忙看一下这个问题。"
        case .japanese: "こちらをご確認いただけますか。"
        case .korean: "이 부분을 확인해 주실 수 있나요?"
        case .russian: "посмотрите, пожалуйста, этот вопрос."
        case .greek: "μπορείς να το δεις αυτό;"
        case .arabic: "هل يمكنك الاطلاع على هذا؟"
        case .hebrew: "תוכל להסתכל על זה?"
        }
    }

    // MARK: - English sentence parts

    static let englishOpeners = [
        "Thanks for the update.", "Following up on our conversation yesterday.", "Quick summary of where we are.",
        "As discussed in this morning's meeting, here are the next steps.", "Sorry for the slow reply.",
        "Hope your week is going well.", "Just a heads-up before the weekend.", "Circling back on this thread.",
    ]
    /// Sentence subjects and their grammatical person: 3 = third singular, 1 = "I", 0 = plural.
    static let englishSubjects: [(text: String, person: Int)] = [
        ("The team", 3), ("Our vendor", 3), ("Finance", 3), ("Legal", 3), ("Marketing", 3), ("I", 1), ("We", 0),
        ("The design group", 3), ("Customer success", 3), ("The platform crew", 3), ("Procurement", 3),
        ("Our partners", 0),
    ]
    /// Verb forms for third singular, "I" and plural subjects.
    static let englishVerbs: [(third: String, first: String, plural: String)] = [
        ("will finalize", "will finalize", "will finalize"), ("has reviewed", "have reviewed", "have reviewed"),
        ("needs to confirm", "need to confirm", "need to confirm"),
        ("is still waiting on", "am still waiting on", "are still waiting on"), ("shared", "shared", "shared"),
        ("updated", "updated", "updated"), ("plans to revisit", "plan to revisit", "plan to revisit"),
        ("signed off on", "signed off on", "signed off on"), ("raised concerns about", "raised concerns about", "raised concerns about"),
        ("is drafting", "am drafting", "are drafting"), ("wants to simplify", "want to simplify", "want to simplify"),
    ]
    static let englishObjects = [
        "the budget", "the draft contract", "the launch checklist", "the hiring plan", "the test results",
        "the customer feedback", "the revised timeline", "the pricing proposal", "the migration plan",
        "the quarterly forecast", "the onboarding guide", "the security review", "the release notes",
    ]
    static let englishTimes = [
        "by Friday", "before the offsite", "this week", "next sprint", "after the holidays",
        "ahead of the board meeting", "today", "by end of day", "early next month", "",
    ]
    static let englishRequests = [
        "take a look at the attached numbers", "join the call on Thursday", "review the doc before the meeting",
        "send me the latest figures", "loop in the legal team", "share your calendar for next week",
        "double-check the totals", "add your comments to the draft",
    ]
    static let englishClosers = [
        "Let me know if you have any questions.", "Happy to discuss further.", "Talk soon.",
        "I'll keep you posted.", "Thanks again for your help on this.",
    ]

    // MARK: - Subjects

    static let projects = ["Atlas", "Borealis", "Cobalt", "Dune", "Everest", "Falcon", "Granite", "Helios"]
    static let companies = [
        "Fabrikam", "Northwind Traders", "Adventure Works", "Tailspin Toys", "Litware", "Proseware",
        "Fourth Coffee", "Alpine Ski House",
    ]
    static let cities = [
        "Seattle", "London", "Zürich", "São Paulo", "Tokyo", "Seoul", "Berlin", "Paris", "Athens", "Tel Aviv",
        "Dubai", "Kraków", "Reykjavík", "Toronto",
    ]
    static let topics = [
        "the data retention policy", "the SSO rollout", "the latency budget", "the on-call rotation",
        "the pricing model", "GDPR requests", "the migration plan", "the support backlog", "the API deprecation",
    ]
    static let components = [
        "sync engine", "search indexer", "billing API", "mobile app", "ingestion pipeline", "auth service",
        "reporting dashboard",
    ]
    static let roles = ["Senior Engineer", "Product Manager", "Data Scientist", "UX Designer", "Account Executive"]
    static let teams = ["Platform", "Growth", "Mobile", "Data", "Design", "Sales EMEA", "Support"]
    static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// Business subject templates (ASCII). Placeholders: {project} {company} {company2}
    /// {city} {topic} {component} {role} {team} {weekday} {month} {q} {n} {week}.
    static let subjects = [
        "Q{q} planning: {project} roadmap", "Notes from {company} visit", "Budget review for {project}",
        "Can we move our 1:1 to {weekday}?", "Draft proposal for {company}", "{project} status update - week {week}",
        "Lunch on {weekday}?", "Hiring plan for {team}", "Feedback on the {component} design doc",
        "Offsite agenda ({city})", "Customer escalation: {company}", "Contract renewal with {company}",
        "Quick question about {topic}", "Design review: {project} {component}", "Invoice {n} from {company}",
        "Travel to {city} next month", "Follow-up: {topic}", "Interview loop for {role}",
        "{project} launch checklist", "Postmortem: {component} outage", "Updated timeline for {project}",
        "Slides for the all-hands", "Expense report for {month}", "Training session on {topic}",
        "Security review of the {component}", "Vendor comparison: {company} vs {company2}",
        "Meeting notes - {project} sync", "Welcome to the {team} team!", "Performance numbers for the {component}",
        "Team changes in {team}", "Holiday schedule for {month}", "Can you review my PR for the {component}?",
        "Dinner in {city}?", "Question on the {month} forecast", "Documentation for the {component}",
    ]

    /// Subjects with non-ASCII text (accents, CJK, Korean, emoji, RTL, Greek, Cyrillic).
    static func nativeSubjects(_ language: Language) -> [String] {
        switch language {
        case .english: [
            "Café ☕ on {weekday}?", "Résumé for the {role} role", "🚀 {project} is live!",
            "🎉 Congratulations to the {team} team", "✈️ Itinerary for {city}", "Naïve question about {topic}",
        ]
        case .french: ["Déjeuner à {city} ?", "Compte rendu – réunion {project}", "Café ☕ jeudi ?"]
        case .german: ["Überprüfung des Angebots für {company}", "Straßensperrung vor dem Büro in Zürich"]
        case .spanish: ["Presupuesto del año – revisión", "¿Reunión el {weekday}?"]
        case .portuguese: ["Reunião de equipe – próxima semana", "Revisão do orçamento 📊"]
        case .italian: ["Verbale della riunione – {project}", "Novità sul progetto {project} 🎉"]
        case .polish: ["Podsumowanie spotkania – {project}", "Pytanie o budżet na przyszły rok"]
        case .chinese: ["会议纪要：{project} 项目", "关于下周出差的安排"]
        case .japanese: ["来週の打ち合わせについて", "{project} プロジェクトの進捗報告"]
        case .korean: ["{project} 프로젝트 일정 안내", "회의록 공유드립니다"]
        case .russian: ["Отчёт по проекту {project}", "Встреча в четверг"]
        case .greek: ["Συνάντηση για το {project}", "Ενημέρωση προϋπολογισμού"]
        case .arabic: ["تحديث حالة المشروع {project}", "اجتماع الفريق الأسبوع المقبل"]
        case .hebrew: ["עדכון לגבי {project}", "פגישת צוות בשבוע הבא"]
        }
    }

    static let categories = [
        "Red category", "Blue category", "Green category", "Orange category", "Purple category",
        "Project Atlas", "Follow up", "Customers",
    ]

    static let attachmentKinds: [(stem: [String], ext: String, type: String)] = [
        (["contract", "proposal", "invoice", "report", "résumé", "報告書"], "pdf", "application/pdf"),
        (["screenshot", "diagram", "photo", "whiteboard"], "png", "image/png"),
        (["agenda", "notes", "Präsentation-Entwurf", "draft", "Договор"], "docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (["forecast", "budget", "headcount", "pipeline"], "xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (["all-hands", "roadmap", "kickoff"], "pptx",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (["export", "metrics", "survey-results"], "csv", "text/csv"),
        (["readme", "log", "minutes"], "txt", "text/plain"),
        (["invite", "meeting"], "ics", "text/calendar"),
        (["IMG_4471", "receipt"], "jpg", "image/jpeg"),
    ]
}

/// Senders that are not people: notifications, newsletters, alerts and spam.
enum AutomatedKind: UInt8, Sendable, CaseIterable {
    case github, jira, teams, devops, engineeringNewsletter, partnerNewsletter, bank, travel, itHelpdesk, spam

    var senderName: String {
        switch self {
        case .github: "GitHub"
        case .jira: "Jira"
        case .teams: "Microsoft Teams"
        case .devops: "Azure DevOps"
        case .engineeringNewsletter: "Contoso Engineering Weekly"
        case .partnerNewsletter: "Fabrikam Insider"
        case .bank: "Woodgrove Bank"
        case .travel: "Margie's Travel"
        case .itHelpdesk: "Contoso IT Helpdesk"
        case .spam: "Reward Center"
        }
    }

    var senderAddress: String {
        switch self {
        case .github: "notifications@github.com"
        case .jira: "jira@contoso.atlassian.net"
        case .teams: "noreply@email.teams.microsoft.com"
        case .devops: "azuredevops@microsoft.com"
        case .engineeringNewsletter: "newsletter@contoso.com"
        case .partnerNewsletter: "insider@news.fabrikam.com"
        case .bank: "alerts@woodgrovebank.com"
        case .travel: "bookings@margiestravel.com"
        case .itHelpdesk: "it-helpdesk@contoso.com"
        case .spam: "notice@rewards-center.example"
        }
    }

    /// Relative frequency among automated mail.
    var weight: Double {
        switch self {
        case .github: 26
        case .jira: 16
        case .teams: 10
        case .devops: 8
        case .engineeringNewsletter: 8
        case .partnerNewsletter: 7
        case .bank: 6
        case .travel: 3
        case .itHelpdesk: 4
        case .spam: 5
        }
    }

    /// How likely the classifier files it under Other (only applies in the Inbox).
    var otherProbability: Double {
        switch self {
        case .bank, .itHelpdesk: 0.5
        case .travel: 0.6
        default: 0.9
        }
    }

    var isNewsletter: Bool { self == .engineeringNewsletter || self == .partnerNewsletter }

    /// Notifications about one issue or build arrive as a thread.
    var threads: Bool { self == .github || self == .jira }

    var prefersHTML: Double {
        switch self {
        case .github, .jira, .devops: 0.5
        case .itHelpdesk: 0.7
        default: 1
        }
    }

    static let githubTitles = [
        "Fix flaky test in the sync engine", "Add retry with backoff to the uploader", "Crash when the cache is empty",
        "Bump dependencies", "Support right-to-left text in the preview", "Improve error messages for 429 responses",
        "Document the release process", "Speed up the folder tree rendering",
    ]
    static let repositories = ["contoso/atlas", "contoso/borealis", "contoso/otter", "contoso/infra"]
    static let jiraTitles = [
        "Customer cannot export the monthly report", "Update onboarding emails", "Migrate billing jobs to the new queue",
        "Localise the settings page", "Investigate slow dashboard queries", "Prepare the Q4 release",
    ]
    static let newsletterHeadlines = [
        "{project} ships its first public beta", "How the {team} team halved build times",
        "Meet the people behind the {component}", "{project}: what's new this month",
        "Five lessons from migrating the {component}", "Save the date: engineering all-hands in {city}",
        "A closer look at {topic}", "Open roles: {role}",
    ]
    static let githubHandles = ["priya-patel", "jmueller", "zhangwei", "sofia-garcia", "noacohen", "rbrooks", "aoife-dev"]
    static let spamSubjects = [
        "You have been selected!!!", "Claim your reward now", "Ｆｒｅｅ ｇｉｆｔ ｃａｒｄ 🎁 inside",
        "URGENT: verify your account", "Final notice: unclaimed package",
    ]
}
