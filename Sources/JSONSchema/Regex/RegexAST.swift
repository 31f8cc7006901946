/// The parsed pattern, reduced to what decides match or no match: groups are flattened (captures are never
/// reported), laziness is dropped (it changes which match is found, not whether one exists), and constructs the
/// engine refuses never reach the tree (the parser reports them after checking the whole syntax).
indirect enum RegexNode: Sendable, Equatable {
    case empty
    case scalar(UInt32)
    /// `.`: any scalar but a line terminator.
    case dot
    case characterClass(CharacterClass)
    case concatenation([RegexNode])
    case alternation([RegexNode])
    /// `max == nil` is unbounded. `position` locates the quantifier for "too large" errors.
    case repetition(RegexNode, min: Int, max: Int?, position: Int)
    case assertion(RegexAssertion)
}

/// Zero-width tests decided by the scalars on either side of a position.
enum RegexAssertion: Sendable, Equatable {
    /// `^` (no `m` flag: start of input only).
    case start
    /// `$` (end of input only; a trailing "\n" does not count, unlike Python or PCRE).
    case end
    /// `\b`
    case wordBoundary
    /// `\B`
    case notWordBoundary
}

extension RegexNode {
    /// True if every match must begin at the start of the input (`^abc`, `^a|^b`), so the search need not restart
    /// at later positions and can stop as soon as no thread survives.
    var isAnchoredAtStart: Bool {
        switch self {
        case .assertion(.start): true
        case .concatenation(let nodes): nodes.first?.isAnchoredAtStart ?? false
        case .alternation(let nodes): nodes.allSatisfy(\.isAnchoredAtStart)
        case .repetition(let node, let min, _, _): min > 0 && node.isAnchoredAtStart
        default: false
        }
    }

    /// True if the node compiles to no instructions (`(?:)`, `a{0}`), so repeating it adds nothing.
    var isEmpty: Bool {
        switch self {
        case .empty: true
        case .concatenation(let nodes): nodes.allSatisfy(\.isEmpty)
        case .repetition(let node, _, let max, _): max == 0 || node.isEmpty
        default: false
        }
    }
}
