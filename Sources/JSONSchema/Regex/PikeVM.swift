/// Runs a `RegexProgram` over a string's Unicode scalars by simulating all NFA threads in lock step (Thompson's
/// construction, Pike's VM without captures).
///
/// Each scalar is read once and each instruction enters a thread list at most once per position, so a search
/// costs O(scalars × instructions) time and O(instructions) memory, independent of the text's length: no
/// backtracking, no recursion, and the text is streamed rather than copied into an array.
enum PikeVM {
    static func search(_ program: RegexProgram, in text: String) -> Bool {
        var vm = Machine(program)
        return vm.run(text)
    }

    /// The mutable state of one search; built per call so `ECMARegex` stays immutable and shareable.
    private struct Machine {
        let program: RegexProgram
        let instructions: [RegexInstruction]
        let anchored: Bool
        /// Threads at the current position (being stepped) and at the next one (being built).
        var current: ThreadList
        var next: ThreadList
        /// Closure work list, reused for every position.
        var stack: [Int32]

        init(_ program: RegexProgram) {
            self.program = program
            instructions = program.instructions
            anchored = program.anchoredAtStart
            current = ThreadList(capacity: instructions.count)
            next = ThreadList(capacity: instructions.count)
            stack = []
            stack.reserveCapacity(16)
        }

        mutating func run(_ text: String) -> Bool {
            var scalars = text.unicodeScalars.makeIterator()
            var scalar = scalars.next()?.value
            // Position 0: the start thread, with nothing before it.
            if addThread(0, before: nil, after: scalar) { return true }
            swap(&current, &next)
            while let c = scalar {
                let following = scalars.next()?.value
                for i in 0..<current.count {
                    let pc = Int(current.dense[i])
                    // Split, jump, assert and match threads consume nothing: they were only marked visited.
                    if program.consumes(pc, c), addThread(Int32(pc + 1), before: c, after: following) { return true }
                }
                // Unanchored search: a match may also start here (an implicit leading `.*?`).
                if !anchored, addThread(0, before: c, after: following) { return true }
                if next.count == 0 { return false }  // no live thread, and none can start (anchored)
                swap(&current, &next)
                next.removeAll()
                scalar = following
            }
            return false
        }

        /// Adds `pc` and everything reachable from it without consuming input to `next`, evaluating assertions
        /// between `before` and `after`. True as soon as `.match` is reached: any match is enough.
        private mutating func addThread(_ pc: Int32, before: UInt32?, after: UInt32?) -> Bool {
            stack.append(pc)
            while let pc = stack.popLast() {
                guard next.insert(pc) else { continue }
                switch instructions[Int(pc)] {
                case .match:
                    stack.removeAll(keepingCapacity: true)
                    return true
                case .jump(let target):
                    stack.append(Int32(target))
                case .split(let first, let second):
                    stack.append(Int32(second))
                    stack.append(Int32(first))
                case .assert(let assertion):
                    if Self.holds(assertion, before: before, after: after) { stack.append(pc + 1) }
                case .scalar, .dot, .characterClass:
                    break
                }
            }
            return false
        }

        @inline(__always)
        private static func holds(_ assertion: RegexAssertion, before: UInt32?, after: UInt32?) -> Bool {
            switch assertion {
            case .start: before == nil
            case .end: after == nil
            case .wordBoundary: CharacterClass.isWordCharacter(before) != CharacterClass.isWordCharacter(after)
            case .notWordBoundary: CharacterClass.isWordCharacter(before) == CharacterClass.isWordCharacter(after)
            }
        }
    }
}

/// A sparse set of instruction indices (Briggs–Torczon): O(1) insert, membership and clear, iteration in
/// insertion order. Cleared once per scalar, so it must not cost O(program) to empty.
struct ThreadList {
    private(set) var dense: [Int32]
    private var sparse: [Int32]
    private(set) var count = 0

    init(capacity: Int) {
        dense = Array(repeating: 0, count: capacity)
        sparse = Array(repeating: 0, count: capacity)
    }

    /// Inserts `value`; false if it was already present.
    @inline(__always)
    mutating func insert(_ value: Int32) -> Bool {
        let slot = Int(sparse[Int(value)])
        if slot < count, dense[slot] == value { return false }
        sparse[Int(value)] = Int32(count)
        dense[count] = value
        count += 1
        return true
    }

    func contains(_ value: Int32) -> Bool {
        let slot = Int(sparse[Int(value)])
        return slot < count && dense[slot] == value
    }

    mutating func removeAll() { count = 0 }
}
