/// One instruction of a Thompson NFA. Consuming instructions (`scalar`, `dot`, `characterClass`) advance one
/// scalar; the others are followed while computing a position's closure.
enum RegexInstruction: Sendable, Equatable {
    case scalar(UInt32)
    case dot
    /// Index into `RegexProgram.classes` (kept out of line so an instruction stays small).
    case characterClass(Int)
    /// Continue at both targets (alternation, optional and repeated parts).
    case split(Int, Int)
    case jump(Int)
    case assert(RegexAssertion)
    case match
}

/// A compiled pattern: instruction 0 is the start, and reaching `.match` anywhere means the text matches.
struct RegexProgram: Sendable {
    /// Bounds compile time, memory and the per-scalar cost of a search (at most this many live threads).
    static let maxInstructions = 10_000

    let instructions: [RegexInstruction]
    let classes: [CharacterClass]
    /// Matches can only start at offset 0 (`^…`): the search stops as soon as no thread survives.
    let anchoredAtStart: Bool

    /// Whether instruction `pc` consumes scalar `c`: false for those that consume nothing (split, jump, assert,
    /// match). The one definition both the Pike VM and the DFA construction step by.
    @inline(__always)
    func consumes(_ pc: Int, _ c: UInt32) -> Bool {
        switch instructions[pc] {
        case .scalar(let expected): c == expected
        case .dot: !CharacterClass.isLineTerminator(c)
        case .characterClass(let index): classes[index].contains(c)
        default: false
        }
    }
}

/// Turns the tree into a program, expanding counted repetitions (`a{2,4}` → `aa(?:a(?:a)?)?`) and refusing
/// programs over `RegexProgram.maxInstructions` instead of letting a schema allocate without bound.
struct RegexCompiler {
    private var instructions: [RegexInstruction] = []
    private var classes: [CharacterClass] = []
    private var classIndex: [CharacterClass: Int] = [:]

    static func compile(_ node: RegexNode) throws(ECMARegexError) -> RegexProgram {
        var compiler = RegexCompiler()
        try compiler.emit(node)
        compiler.instructions.append(.match)  // `append` always leaves room for it
        return RegexProgram(
            instructions: compiler.instructions, classes: compiler.classes,
            anchoredAtStart: node.isAnchoredAtStart)
    }

    private mutating func emit(_ node: RegexNode) throws(ECMARegexError) {
        switch node {
        case .empty:
            break
        case .scalar(let c):
            try append(.scalar(c), at: 0)
        case .dot:
            try append(.dot, at: 0)
        case .characterClass(let cls):
            try append(.characterClass(index(of: cls)), at: 0)
        case .assertion(let assertion):
            try append(.assert(assertion), at: 0)
        case .concatenation(let nodes):
            for n in nodes { try emit(n) }
        case .alternation(let nodes):
            try emitAlternation(nodes)
        case .repetition(let body, let min, let max, let position):
            try emitRepetition(body, min: min, max: max, position: position)
        }
    }

    /// `a|b|c` → split(a, split(b, c)), each branch jumping to the common end.
    private mutating func emitAlternation(_ nodes: [RegexNode]) throws(ECMARegexError) {
        var jumps: [Int] = []
        for (i, n) in nodes.enumerated() {
            if i == nodes.count - 1 {
                try emit(n)
                break
            }
            let split = try append(.split(0, 0), at: 0)
            try emit(n)
            jumps.append(try append(.jump(0), at: 0))
            instructions[split] = .split(split + 1, instructions.count)
        }
        for j in jumps { instructions[j] = .jump(instructions.count) }
    }

    private mutating func emitRepetition(
        _ body: RegexNode, min: Int, max: Int?, position: Int
    ) throws(ECMARegexError) {
        if body.isEmpty || max == 0 { return }
        // Mandatory copies; for `x+`-style the last one becomes the loop body below.
        let mandatory = max == nil && min > 0 ? min - 1 : min
        for _ in 0..<mandatory {
            try emit(body, at: position)
        }
        if let max {
            // Optional copies nest: once one is skipped, all later ones are too (fewer live threads).
            var skips: [Int] = []
            for _ in 0..<(max - min) {
                skips.append(try append(.split(0, 0), at: position))
                try emit(body, at: position)
            }
            for s in skips { instructions[s] = .split(s + 1, instructions.count) }
        } else if min > 0 {
            // x+ : L: x; split(L, next)
            let loop = instructions.count
            try emit(body, at: position)
            try append(.split(loop, instructions.count + 1), at: position)
        } else {
            // x* : L: split(L+1, end); x; jump L
            let loop = try append(.split(0, 0), at: position)
            try emit(body, at: position)
            try append(.jump(loop), at: position)
            instructions[loop] = .split(loop + 1, instructions.count)
        }
    }

    /// Emits a repeated body, attributing an overflow to the outermost repetition around it: in `(a{100}){200}`
    /// the `{200}` is what multiplied the program past the limit.
    private mutating func emit(_ node: RegexNode, at position: Int) throws(ECMARegexError) {
        do throws(ECMARegexError) {
            try emit(node)
        } catch {
            throw ECMARegexError(error.kind, error.message, at: position)
        }
    }

    @discardableResult
    private mutating func append(_ instruction: RegexInstruction, at position: Int) throws(ECMARegexError) -> Int {
        guard instructions.count + 1 < RegexProgram.maxInstructions else {
            throw ECMARegexError(
                .tooLarge, "pattern too large (more than \(RegexProgram.maxInstructions) states; "
                    + "use smaller counted repetitions)", at: position)
        }
        instructions.append(instruction)
        return instructions.count - 1
    }

    /// Identical classes (`\d` used ten times) share one entry.
    private mutating func index(of cls: CharacterClass) -> Int {
        if let i = classIndex[cls] { return i }
        classes.append(cls)
        classIndex[cls] = classes.count - 1
        return classes.count - 1
    }
}
