/// A deterministic automaton over ASCII bytes, built once from a `RegexProgram` by subset construction, so the
/// typical schema pattern (small, `^…$`, ASCII strings) costs one table lookup per byte and no allocation.
///
/// It answers exactly what `PikeVM.search` answers, for ASCII text only: `matches` gives up (nil) at the first byte
/// ≥ 0x80 and the caller runs the Pike VM. Programs with `\b`/`\B` (decided by the scalar after a position, which a
/// state cannot know yet) get no automaton, nor do those whose automaton would exceed `maxStates` or `maxWork`.
struct RegexDFA: Sendable {
    /// Bounds the table (states × byte classes × 2 bytes, at most 128 KiB); `(a|b)*a(a|b){20}` would need ~2²⁰.
    static let maxStates = 512
    /// Bounds construction time: closure steps summed over all transitions. A 10,000-instruction program could
    /// otherwise cost 512 states × 128 classes × 10,000 steps.
    static let maxWork = 1 << 16

    /// State flags. `acceptsNow`: `.match` is reached here when more text follows (so without passing `$`);
    /// `acceptsAtEnd`: reached if the text ends here; `dead`: no thread left and no match, a sink.
    static let acceptsNow: UInt8 = 1
    static let acceptsAtEnd: UInt8 = 2
    static let dead: UInt8 = 4

    /// Byte (0–127) → column: bytes that every consuming instruction treats alike share one.
    private let byteClass: [UInt8]
    private let classCount: Int
    /// `table[state * classCount + column]` is the next state; state 0 is the start (position 0).
    private let table: [UInt16]
    let flags: [UInt8]

    var stateCount: Int { flags.count }

    /// The answer for `text` if it is all ASCII (or decided before its first non-ASCII byte), else nil.
    func matches(_ text: String) -> Bool? {
        if let answer = text.utf8.withContiguousStorageIfAvailable({ run($0) }) { return answer }
        return run(text.utf8)
    }

    /// The same, for UTF-8 bytes.
    func matches(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool? { run(bytes) }

    private func run(_ bytes: some Sequence<UInt8>) -> Bool? {
        var state = 0
        if flags[0] & Self.acceptsNow != 0 { return true }
        for byte in bytes {
            guard byte < 0x80 else { return nil }
            state = Int(table[state &* classCount &+ Int(byteClass[Int(byte)])])
            let f = flags[state]
            if f & Self.acceptsNow != 0 { return true }
            if f & Self.dead != 0 { return false }
        }
        return flags[state] & Self.acceptsAtEnd != 0
    }

    init?(_ program: RegexProgram) {
        let instructions = program.instructions
        for case .assert(let a) in instructions where a == .wordBoundary || a == .notWordBoundary { return nil }

        // Columns: start with all 128 bytes in one and split by every distinct test a consuming instruction makes.
        var byteClass = [UInt8](repeating: 0, count: 128)
        var classCount = 1
        func refine(_ inside: (UInt32) -> Bool) {
            var renumber: [Int: UInt8] = [:]
            for b in 0..<128 {
                let key = Int(byteClass[b]) * 2 + (inside(UInt32(b)) ? 1 : 0)
                let id = renumber[key] ?? UInt8(renumber.count)
                renumber[key] = id
                byteClass[b] = id
            }
            classCount = renumber.count
        }
        var scalars = Set<UInt32>()
        var usesDot = false
        for instruction in instructions {
            if case .scalar(let c) = instruction, c < 128 { scalars.insert(c) }
            if case .dot = instruction { usesDot = true }
        }
        for cls in program.classes { refine(cls.contains) }
        for c in scalars { refine { $0 == c } }
        if usesDot { refine(CharacterClass.isLineTerminator) }
        var representative = [UInt32](repeating: 0, count: classCount)
        for b in (0..<128).reversed() { representative[Int(byteClass[b])] = UInt32(b) }

        // Subset construction, breadth first: state i's row is appended when i is processed.
        var closure = Closure(instructions)
        var ids: [Closure.State: Int] = [:]
        var states: [Closure.State] = []
        func intern(_ state: Closure.State) -> Int? {
            if let id = ids[state] { return id }
            guard states.count < Self.maxStates else { return nil }
            ids[state] = states.count
            states.append(state)
            return states.count - 1
        }
        guard let start = closure.state(from: [0], atStart: true), intern(start) != nil else { return nil }
        var table: [UInt16] = []
        var i = 0
        while i < states.count {
            let state = states[i]
            for column in 0..<classCount {
                // The matcher stops at an accepting state, so its row is never read.
                if state.flags & Self.acceptsNow != 0 {
                    table.append(UInt16(i))
                    continue
                }
                var seeds = state.pcs.filter { program.consumes(Int($0), representative[column]) }.map { $0 + 1 }
                if !program.anchoredAtStart { seeds.append(0) }  // the implicit leading `.*?`
                guard let next = closure.state(from: seeds, atStart: false), let id = intern(next) else { return nil }
                table.append(UInt16(id))
            }
            i += 1
        }
        self.byteClass = byteClass
        self.classCount = classCount
        self.table = table
        self.flags = states.map(\.flags)
    }

    /// Epsilon closures during construction, sharing one visited set and work counter.
    private struct Closure {
        /// A DFA state: the consuming instructions (`scalar`, `dot`, `characterClass`) live at a position, sorted,
        /// and its flags. Transitions depend only on `pcs`, so equal states merge wherever they arise.
        struct State: Hashable {
            let pcs: [Int32]
            let flags: UInt8
        }

        let instructions: [RegexInstruction]
        var visited: ThreadList
        var stack: [Int32] = []
        var work = 0

        init(_ instructions: [RegexInstruction]) {
            self.instructions = instructions
            visited = ThreadList(capacity: instructions.count)
        }

        /// The state whose threads start at `seeds`; `atStart` is position 0 (`^` holds). Nil past `maxWork`.
        mutating func state(from seeds: [Int32], atStart: Bool) -> State? {
            let (pcs, matchesNow) = reach(seeds, atStart: atStart, atEnd: false)
            let (_, matchesAtEnd) = reach(seeds, atStart: atStart, atEnd: true)
            guard work <= RegexDFA.maxWork else { return nil }
            var flags: UInt8 = 0
            if matchesNow { flags |= RegexDFA.acceptsNow }
            if matchesAtEnd { flags |= RegexDFA.acceptsAtEnd }
            if pcs.isEmpty && !matchesAtEnd { flags |= RegexDFA.dead }
            return State(pcs: pcs, flags: flags)
        }

        /// Consuming instructions reachable from `seeds` without input, and whether `.match` is; `atEnd` lets `$` pass.
        private mutating func reach(_ seeds: [Int32], atStart: Bool, atEnd: Bool) -> ([Int32], Bool) {
            visited.removeAll()
            stack.append(contentsOf: seeds)
            var pcs: [Int32] = []
            var matches = false
            while let pc = stack.popLast() {
                guard visited.insert(pc) else { continue }
                work += 1
                switch instructions[Int(pc)] {
                case .match: matches = true
                case .jump(let target): stack.append(Int32(target))
                case .split(let first, let second):
                    stack.append(Int32(second))
                    stack.append(Int32(first))
                case .assert(.start): if atStart { stack.append(pc + 1) }
                case .assert(.end): if atEnd { stack.append(pc + 1) }
                case .assert: break  // `\b`, `\B`: such programs get no automaton
                case .scalar, .dot, .characterClass: pcs.append(pc)
                }
            }
            return (pcs.sorted(), matches)
        }
    }
}
