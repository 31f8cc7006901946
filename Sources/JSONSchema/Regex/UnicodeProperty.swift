/// A `\p{…}` test evaluated per scalar with the standard library's Unicode tables (no tables of our own).
/// Non-ASCII scalars only: a class answers ASCII from a bitmap built once at compile time.
struct UnicodePropertyTest: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A set of general categories as a bit mask (bit = `GeneralCategoryBit.of(_:)`).
        case generalCategories(UInt64)
        case binary(BinaryProperty)
    }

    let kind: Kind
    /// Set by `\P{…}`; the `^` of an enclosing `[^…]` is applied by the class, not here.
    let negated: Bool

    func matches(_ scalar: Unicode.Scalar) -> Bool {
        let hit: Bool
        switch kind {
        case .generalCategories(let mask):
            hit = mask & (1 << GeneralCategoryBit.of(scalar.properties.generalCategory)) != 0
        case .binary(let property):
            hit = property.holds(for: scalar)
        }
        return hit != negated
    }
}

/// What a property escape names: either a fixed range set (`ASCII`, `Any`, `Regional_Indicator`) or a test.
enum ResolvedProperty: Sendable, Equatable {
    case ranges(ScalarRanges)
    case test(UnicodePropertyTest.Kind)
}

/// Why a property escape could not be resolved: invalid names are syntax errors; valid ECMA-262 properties the
/// standard library has no table for (`Script=`, `Extended_Pictographic`) are unsupported.
enum PropertyLookupFailure: Error, Equatable {
    case unknown
    case unsupported(String)
}

enum UnicodeProperty {
    /// Resolves `\p{name}` or `\p{name=value}` with ECMA-262's exact spelling rules (case-sensitive, no loose
    /// matching): `\p{Letter}` and `\p{L}` are valid, `\p{letter}` is a syntax error.
    static func resolve(name: String, value: String?) throws(PropertyLookupFailure) -> ResolvedProperty {
        if let value {
            switch name {
            case "General_Category", "gc":
                guard let mask = generalCategoryMask(value) else { throw .unknown }
                return .test(.generalCategories(mask))
            case "Script", "sc", "Script_Extensions", "scx":
                guard !value.isEmpty else { throw .unknown }
                throw .unsupported("Unicode Script properties are not supported")
            default:
                throw .unknown
            }
        }
        if let mask = generalCategoryMask(name) { return .test(.generalCategories(mask)) }
        switch name {
        case "Any": return .ranges(.all)
        case "ASCII": return .ranges(ScalarRanges([0...0x7F]))
        case "Assigned": return .test(.generalCategories(~generalCategoryMask("Cn")!))
        case "Regional_Indicator", "RI": return .ranges(ScalarRanges([0x1F1E6...0x1F1FF]))
        case "Emoji_Component", "EComp", "Extended_Pictographic", "ExtPict":
            throw .unsupported("Unicode property \(name) is not supported")
        default: break
        }
        if let binary = BinaryProperty.named[name] { return .test(.binary(binary)) }
        throw .unknown
    }

    /// General_Category values and every alias ECMA-262 accepts (PropertyValueAliases.txt), including the
    /// `digit` and `punct` spellings the JSON Schema suite uses.
    static func generalCategoryMask(_ name: String) -> UInt64? {
        guard let categories = generalCategories[name] else { return nil }
        return categories.reduce(0) { $0 | 1 << GeneralCategoryBit.of($1) }
    }

    private static let generalCategories: [String: [Unicode.GeneralCategory]] = {
        let groups: [([String], [Unicode.GeneralCategory])] = [
            (["Lu", "Uppercase_Letter"], [.uppercaseLetter]),
            (["Ll", "Lowercase_Letter"], [.lowercaseLetter]),
            (["Lt", "Titlecase_Letter"], [.titlecaseLetter]),
            (["LC", "Cased_Letter"], [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter]),
            (["Lm", "Modifier_Letter"], [.modifierLetter]),
            (["Lo", "Other_Letter"], [.otherLetter]),
            (["L", "Letter"], [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]),
            (["Mn", "Nonspacing_Mark"], [.nonspacingMark]),
            (["Mc", "Spacing_Mark"], [.spacingMark]),
            (["Me", "Enclosing_Mark"], [.enclosingMark]),
            (["M", "Mark", "Combining_Mark"], [.nonspacingMark, .spacingMark, .enclosingMark]),
            (["Nd", "Decimal_Number", "digit"], [.decimalNumber]),
            (["Nl", "Letter_Number"], [.letterNumber]),
            (["No", "Other_Number"], [.otherNumber]),
            (["N", "Number"], [.decimalNumber, .letterNumber, .otherNumber]),
            (["Pc", "Connector_Punctuation"], [.connectorPunctuation]),
            (["Pd", "Dash_Punctuation"], [.dashPunctuation]),
            (["Ps", "Open_Punctuation"], [.openPunctuation]),
            (["Pe", "Close_Punctuation"], [.closePunctuation]),
            (["Pi", "Initial_Punctuation"], [.initialPunctuation]),
            (["Pf", "Final_Punctuation"], [.finalPunctuation]),
            (["Po", "Other_Punctuation"], [.otherPunctuation]),
            (["P", "Punctuation", "punct"], [
                .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                .initialPunctuation, .finalPunctuation, .otherPunctuation,
            ]),
            (["Sm", "Math_Symbol"], [.mathSymbol]),
            (["Sc", "Currency_Symbol"], [.currencySymbol]),
            (["Sk", "Modifier_Symbol"], [.modifierSymbol]),
            (["So", "Other_Symbol"], [.otherSymbol]),
            (["S", "Symbol"], [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]),
            (["Zs", "Space_Separator"], [.spaceSeparator]),
            (["Zl", "Line_Separator"], [.lineSeparator]),
            (["Zp", "Paragraph_Separator"], [.paragraphSeparator]),
            (["Z", "Separator"], [.spaceSeparator, .lineSeparator, .paragraphSeparator]),
            (["Cc", "Control", "cntrl"], [.control]),
            (["Cf", "Format"], [.format]),
            (["Cs", "Surrogate"], [.surrogate]),
            (["Co", "Private_Use"], [.privateUse]),
            (["Cn", "Unassigned"], [.unassigned]),
            (["C", "Other"], [.control, .format, .surrogate, .privateUse, .unassigned]),
        ]
        var table: [String: [Unicode.GeneralCategory]] = [:]
        for (names, categories) in groups {
            for name in names { table[name] = categories }
        }
        return table
    }()
}

/// A stable bit index per general category, so a set of categories is one `UInt64` and a test is one AND.
enum GeneralCategoryBit {
    static func of(_ category: Unicode.GeneralCategory) -> UInt64 {
        switch category {
        case .uppercaseLetter: 0
        case .lowercaseLetter: 1
        case .titlecaseLetter: 2
        case .modifierLetter: 3
        case .otherLetter: 4
        case .nonspacingMark: 5
        case .spacingMark: 6
        case .enclosingMark: 7
        case .decimalNumber: 8
        case .letterNumber: 9
        case .otherNumber: 10
        case .connectorPunctuation: 11
        case .dashPunctuation: 12
        case .openPunctuation: 13
        case .closePunctuation: 14
        case .initialPunctuation: 15
        case .finalPunctuation: 16
        case .otherPunctuation: 17
        case .mathSymbol: 18
        case .currencySymbol: 19
        case .modifierSymbol: 20
        case .otherSymbol: 21
        case .spaceSeparator: 22
        case .lineSeparator: 23
        case .paragraphSeparator: 24
        case .control: 25
        case .format: 26
        case .surrogate: 27
        case .privateUse: 28
        case .unassigned: 29
        @unknown default: 29
        }
    }
}

/// ECMA-262's binary Unicode properties that the standard library exposes, by canonical name and alias.
enum BinaryProperty: Sendable, Hashable, CaseIterable {
    case asciiHexDigit, alphabetic, bidiControl, bidiMirrored, caseIgnorable, cased, changesWhenCasefolded
    case changesWhenCasemapped, changesWhenLowercased, changesWhenNFKCCasefolded, changesWhenTitlecased
    case changesWhenUppercased, dash, defaultIgnorableCodePoint, deprecated, diacritic, emoji, emojiModifier
    case emojiModifierBase, emojiPresentation, extender, graphemeBase, graphemeExtend, hexDigit
    case idsBinaryOperator, idsTrinaryOperator, idContinue, idStart, ideographic, joinControl
    case logicalOrderException, lowercase, math, noncharacterCodePoint, patternSyntax, patternWhiteSpace
    case quotationMark, radical, sentenceTerminal, softDotted, terminalPunctuation, unifiedIdeograph
    case uppercase, variationSelector, whiteSpace, xidContinue, xidStart

    /// The ECMA-262 spellings (Table "Binary Unicode property aliases"), long name first.
    var names: [String] {
        switch self {
        case .asciiHexDigit: ["ASCII_Hex_Digit", "AHex"]
        case .alphabetic: ["Alphabetic", "Alpha"]
        case .bidiControl: ["Bidi_Control", "Bidi_C"]
        case .bidiMirrored: ["Bidi_Mirrored", "Bidi_M"]
        case .caseIgnorable: ["Case_Ignorable", "CI"]
        case .cased: ["Cased"]
        case .changesWhenCasefolded: ["Changes_When_Casefolded", "CWCF"]
        case .changesWhenCasemapped: ["Changes_When_Casemapped", "CWCM"]
        case .changesWhenLowercased: ["Changes_When_Lowercased", "CWL"]
        case .changesWhenNFKCCasefolded: ["Changes_When_NFKC_Casefolded", "CWKCF"]
        case .changesWhenTitlecased: ["Changes_When_Titlecased", "CWT"]
        case .changesWhenUppercased: ["Changes_When_Uppercased", "CWU"]
        case .dash: ["Dash"]
        case .defaultIgnorableCodePoint: ["Default_Ignorable_Code_Point", "DI"]
        case .deprecated: ["Deprecated", "Dep"]
        case .diacritic: ["Diacritic", "Dia"]
        case .emoji: ["Emoji"]
        case .emojiModifier: ["Emoji_Modifier", "EMod"]
        case .emojiModifierBase: ["Emoji_Modifier_Base", "EBase"]
        case .emojiPresentation: ["Emoji_Presentation", "EPres"]
        case .extender: ["Extender", "Ext"]
        case .graphemeBase: ["Grapheme_Base", "Gr_Base"]
        case .graphemeExtend: ["Grapheme_Extend", "Gr_Ext"]
        case .hexDigit: ["Hex_Digit", "Hex"]
        case .idsBinaryOperator: ["IDS_Binary_Operator", "IDSB"]
        case .idsTrinaryOperator: ["IDS_Trinary_Operator", "IDST"]
        case .idContinue: ["ID_Continue", "IDC"]
        case .idStart: ["ID_Start", "IDS"]
        case .ideographic: ["Ideographic", "Ideo"]
        case .joinControl: ["Join_Control", "Join_C"]
        case .logicalOrderException: ["Logical_Order_Exception", "LOE"]
        case .lowercase: ["Lowercase", "Lower"]
        case .math: ["Math"]
        case .noncharacterCodePoint: ["Noncharacter_Code_Point", "NChar"]
        case .patternSyntax: ["Pattern_Syntax", "Pat_Syn"]
        case .patternWhiteSpace: ["Pattern_White_Space", "Pat_WS"]
        case .quotationMark: ["Quotation_Mark", "QMark"]
        case .radical: ["Radical"]
        case .sentenceTerminal: ["Sentence_Terminal", "STerm"]
        case .softDotted: ["Soft_Dotted", "SD"]
        case .terminalPunctuation: ["Terminal_Punctuation", "Term"]
        case .unifiedIdeograph: ["Unified_Ideograph", "UIdeo"]
        case .uppercase: ["Uppercase", "Upper"]
        case .variationSelector: ["Variation_Selector", "VS"]
        case .whiteSpace: ["White_Space", "space"]
        case .xidContinue: ["XID_Continue", "XIDC"]
        case .xidStart: ["XID_Start", "XIDS"]
        }
    }

    static let named: [String: BinaryProperty] = {
        var table: [String: BinaryProperty] = [:]
        for property in allCases {
            for name in property.names { table[name] = property }
        }
        return table
    }()

    func holds(for scalar: Unicode.Scalar) -> Bool {
        let p = scalar.properties
        switch self {
        case .asciiHexDigit: return p.isASCIIHexDigit
        case .alphabetic: return p.isAlphabetic
        case .bidiControl: return p.isBidiControl
        case .bidiMirrored: return p.isBidiMirrored
        case .caseIgnorable: return p.isCaseIgnorable
        case .cased: return p.isCased
        case .changesWhenCasefolded: return p.changesWhenCaseFolded
        case .changesWhenCasemapped: return p.changesWhenCaseMapped
        case .changesWhenLowercased: return p.changesWhenLowercased
        case .changesWhenNFKCCasefolded: return p.changesWhenNFKCCaseFolded
        case .changesWhenTitlecased: return p.changesWhenTitlecased
        case .changesWhenUppercased: return p.changesWhenUppercased
        case .dash: return p.isDash
        case .defaultIgnorableCodePoint: return p.isDefaultIgnorableCodePoint
        case .deprecated: return p.isDeprecated
        case .diacritic: return p.isDiacritic
        case .emoji: return p.isEmoji
        case .emojiModifier: return p.isEmojiModifier
        case .emojiModifierBase: return p.isEmojiModifierBase
        case .emojiPresentation: return p.isEmojiPresentation
        case .extender: return p.isExtender
        case .graphemeBase: return p.isGraphemeBase
        case .graphemeExtend: return p.isGraphemeExtend
        case .hexDigit: return p.isHexDigit
        case .idsBinaryOperator: return p.isIDSBinaryOperator
        case .idsTrinaryOperator: return p.isIDSTrinaryOperator
        case .idContinue: return p.isIDContinue
        case .idStart: return p.isIDStart
        case .ideographic: return p.isIdeographic
        case .joinControl: return p.isJoinControl
        case .logicalOrderException: return p.isLogicalOrderException
        case .lowercase: return p.isLowercase
        case .math: return p.isMath
        case .noncharacterCodePoint: return p.isNoncharacterCodePoint
        case .patternSyntax: return p.isPatternSyntax
        case .patternWhiteSpace: return p.isPatternWhitespace
        case .quotationMark: return p.isQuotationMark
        case .radical: return p.isRadical
        case .sentenceTerminal: return p.isSentenceTerminal
        case .softDotted: return p.isSoftDotted
        case .terminalPunctuation: return p.isTerminalPunctuation
        case .unifiedIdeograph: return p.isUnifiedIdeograph
        case .uppercase: return p.isUppercase
        case .variationSelector: return p.isVariationSelector
        case .whiteSpace: return p.isWhitespace
        case .xidContinue: return p.isXIDContinue
        case .xidStart: return p.isXIDStart
        }
    }
}
