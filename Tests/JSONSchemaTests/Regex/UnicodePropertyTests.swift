import Testing
@testable import JSONSchema

/// `\p{…}` name resolution (exact ECMA-262 spellings) and what each resolved property matches.
@Suite struct UnicodePropertyTests {
    @Test(arguments: [
        ("L", "\u{e9}", "1"), ("Letter", "\u{4E2D}", " "), ("Lu", "\u{c9}", "\u{e9}"),
        ("Uppercase_Letter", "A", "a"), ("Ll", "\u{e9}", "\u{c9}"), ("Lt", "\u{1C5}", "A"),
        ("LC", "a", "\u{4E2D}"), ("Cased_Letter", "\u{1C5}", "\u{2B0}"), ("Lm", "\u{2B0}", "a"),
        ("Lo", "\u{4E2D}", "a"), ("M", "\u{301}", "a"), ("Mark", "\u{903}", "a"), ("Combining_Mark", "\u{20DD}", "a"),
        ("Mn", "\u{301}", "\u{903}"), ("Mc", "\u{903}", "\u{301}"), ("Me", "\u{20DD}", "\u{301}"),
        ("N", "\u{216B}", "a"), ("Number", "\u{B2}", "a"), ("Nd", "\u{9EA}", "\u{B2}"), ("digit", "7", "\u{216B}"),
        ("Decimal_Number", "\u{660}", "x"), ("Nl", "\u{216B}", "1"), ("No", "\u{B2}", "1"),
        ("P", "!", "+"), ("punct", "\u{2014}", "$"), ("Punctuation", "\u{BF}", "a"), ("Pc", "_", "-"),
        ("Pd", "-", "_"), ("Ps", "(", ")"), ("Pe", ")", "("), ("Pi", "\u{AB}", "\u{BB}"), ("Pf", "\u{BB}", "\u{AB}"),
        ("Po", "!", "("), ("S", "+", "!"), ("Symbol", "\u{20AC}", "a"), ("Sm", "+", "$"), ("Sc", "$", "+"),
        ("Currency_Symbol", "\u{20AC}", "E"), ("Sk", "^", "+"), ("So", "\u{A9}", "+"), ("Z", " ", "\t"),
        ("Separator", "\u{2028}", "\n"), ("Zs", "\u{3000}", "\u{2028}"), ("Zl", "\u{2028}", "\u{2029}"),
        ("Zp", "\u{2029}", "\u{2028}"), ("C", "\u{0}", "a"), ("Other", "\u{E000}", "a"), ("Cc", "\n", " "),
        ("Control", "\u{7F}", "a"), ("cntrl", "\u{9F}", "a"), ("Cf", "\u{200D}", "a"), ("Format", "\u{FEFF}", "a"),
        ("Co", "\u{E000}", "a"), ("Private_Use", "\u{F0000}", "a"), ("Cn", "\u{378}", "a"),
        ("Unassigned", "\u{E0080}", "a"),
        ("gc=L", "a", "1"), ("General_Category=Decimal_Number", "\u{9E8}", "a"), ("gc=Zs", " ", "\n"),
        ("Any", "\u{10FFFF}", nil), ("ASCII", "\u{7F}", "\u{80}"), ("Assigned", "a", "\u{378}"),
        ("Alphabetic", "\u{e9}", "1"), ("Alpha", "\u{2160}", "!"), ("White_Space", "\u{85}", "\u{200B}"),
        ("space", "\u{A0}", "a"), ("Uppercase", "\u{2160}", "a"), ("Upper", "A", "a"), ("Lowercase", "\u{AA}", "A"),
        ("Lower", "a", "A"), ("Emoji", "\u{1F600}", "a"), ("Emoji_Presentation", "\u{1F600}", "#"),
        ("EPres", "\u{1F432}", "\u{A9}"), ("Emoji_Modifier", "\u{1F3FB}", "a"), ("EMod", "\u{1F3FF}", "a"),
        ("Emoji_Modifier_Base", "\u{1F44D}", "a"), ("EBase", "\u{270C}", "a"), ("Regional_Indicator", "\u{1F1EB}", "F"),
        ("RI", "\u{1F1FF}", "\u{1F200}"), ("Hex_Digit", "\u{FF21}", "g"), ("ASCII_Hex_Digit", "f", "\u{FF21}"),
        ("AHex", "A", "G"), ("Ideographic", "\u{4E2D}", "a"), ("Ideo", "\u{3007}", "a"), ("Dash", "\u{2014}", "_"),
        ("Math", "+", "-"), ("ID_Start", "a", "1"), ("IDS", "\u{e9}", "_"), ("ID_Continue", "1", "-"),
        ("IDC", "_", " "), ("XID_Start", "a", "1"), ("XIDC", "1", "-"), ("Noncharacter_Code_Point", "\u{FFFF}", "a"),
        ("Pattern_White_Space", "\u{200E}", "\u{A0}"), ("Pat_Syn", "!", "a"), ("Quotation_Mark", "\"", "a"),
        ("Join_Control", "\u{200D}", "a"), ("Variation_Selector", "\u{FE0F}", "a"), ("Cased", "a", "1"),
        ("Case_Ignorable", "'", "a"), ("Changes_When_Uppercased", "a", "A"), ("CWL", "A", "a"),
        ("CWT", "a", "A"), ("CWCF", "A", "a"), ("CWCM", "a", "1"), ("CWKCF", "A", "a"),
        ("Default_Ignorable_Code_Point", "\u{AD}", "a"), ("Diacritic", "^", "a"), ("Extender", "\u{B7}", "a"),
        ("Grapheme_Base", "a", "\u{301}"), ("Grapheme_Extend", "\u{301}", "a"), ("Sentence_Terminal", ".", ","),
        ("Terminal_Punctuation", ",", "a"), ("Soft_Dotted", "j", "a"), ("Unified_Ideograph", "\u{4E2D}", "\u{3007}"),
        ("Bidi_Control", "\u{200E}", "a"), ("Bidi_Mirrored", "(", "a"), ("Deprecated", "\u{149}", "a"),
        ("Radical", "\u{2E80}", "\u{4E2D}"), ("IDSB", "\u{2FF0}", "a"), ("IDST", "\u{2FF2}", "a"),
        ("Logical_Order_Exception", "\u{E40}", "a"),
    ] as [(String, String, String?)])
    func propertyMatches(_ property: String, _ inside: String, _ outside: String?) throws {
        let positive = try ECMARegex("^\\p{\(property)}$")
        let negative = try ECMARegex("^\\P{\(property)}$")
        #expect(positive.firstMatch(in: inside), "\\p{\(property)} should match \(inside.debugDescription)")
        #expect(!negative.firstMatch(in: inside))
        if let outside {
            #expect(!positive.firstMatch(in: outside), "\\p{\(property)} should not match \(outside.debugDescription)")
            #expect(negative.firstMatch(in: outside))
        }
    }

    @Test func namesAreExactAndCaseSensitive() {
        for bad in ["letter", "LETTER", "lu", "Uppercase Letter", "Is_Letter", "IsL", "InBasicLatin", "gc", "L=Lu",
                    "General_Category", "Digit", "Punct", "Alphabetic=True", "Basic_Emoji", "RGI_Emoji", "ascii"] {
            #expect(regexError("\\p{\(bad)}")?.kind == .syntax, "\(bad)")
        }
        #expect(throws: PropertyLookupFailure.unknown) {
            try UnicodeProperty.resolve(name: "General_Category", value: "Foo")
        }
    }

    @Test func scriptsAndUnbackedPropertiesAreUnsupported() {
        for name in ["Script=Latin", "sc=Grek", "Script_Extensions=Latin", "scx=Hira", "Extended_Pictographic",
                     "ExtPict", "Emoji_Component", "EComp"] {
            #expect(regexError("\\p{\(name)}")?.kind == .unsupported, "\(name)")
        }
    }

    @Test func everyBinaryPropertyHasUniqueNames() {
        var seen: Set<String> = []
        for property in BinaryProperty.allCases {
            #expect(!property.names.isEmpty)
            for name in property.names {
                #expect(!seen.contains(name), "\(name) listed twice")
                seen.insert(name)
                #expect(BinaryProperty.named[name] == property)
                #expect(UnicodeProperty.generalCategoryMask(name) == nil, "\(name) is also a category")
            }
        }
        #expect(BinaryProperty.allCases.count == 47)
    }

    @Test func generalCategoryGroupsAreUnionsOfTheirMembers() {
        func mask(_ n: String) -> UInt64 { UnicodeProperty.generalCategoryMask(n)! }
        #expect(mask("L") == mask("Lu") | mask("Ll") | mask("Lt") | mask("Lm") | mask("Lo"))
        #expect(mask("LC") == mask("Lu") | mask("Ll") | mask("Lt"))
        #expect(mask("M") == mask("Mn") | mask("Mc") | mask("Me"))
        #expect(mask("N") == mask("Nd") | mask("Nl") | mask("No"))
        #expect(mask("P") == mask("Pc") | mask("Pd") | mask("Ps") | mask("Pe") | mask("Pi") | mask("Pf") | mask("Po"))
        #expect(mask("S") == mask("Sm") | mask("Sc") | mask("Sk") | mask("So"))
        #expect(mask("Z") == mask("Zs") | mask("Zl") | mask("Zp"))
        #expect(mask("C") == mask("Cc") | mask("Cf") | mask("Cs") | mask("Co") | mask("Cn"))
        let all = ["L", "M", "N", "P", "S", "Z", "C"].map(mask).reduce(0, |)
        #expect(all == (1 << 30) - 1)
        #expect(mask("digit") == mask("Nd") && mask("punct") == mask("P") && mask("cntrl") == mask("Cc"))
    }
}
