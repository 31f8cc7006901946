/// Decides which connection timer runs: the header timer (slowloris) or the keep-alive idle timer.
///
/// Pure: it returns actions and the edge handler performs them, so tests drive it without a clock or socket.
public struct ConnectionTimeoutStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        /// (Re)arm the single connection timer for this long, replacing any running one.
        case arm(Duration)
        case cancel
        /// The peer did not send a complete head in time, or stayed idle too long.
        case close
    }

    enum Phase: Equatable {
        /// Waiting for a complete request head; the header timer runs.
        case awaitingHead
        /// A request is in progress; no connection timer (the route timeout governs).
        case busy
        /// Keep-alive, between requests, no byte seen yet; the idle timer runs.
        case idle
    }

    public let headerTimeout: Duration
    public let idleTimeout: Duration
    private(set) var phase: Phase = .awaitingHead

    public init(headerTimeout: Duration, idleTimeout: Duration) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }

    /// A new connection must send its first head within the header timeout.
    public mutating func connectionOpened() -> Action {
        phase = .awaitingHead
        return .arm(headerTimeout)
    }

    /// Bytes arrived. On an idle keep-alive connection they start a new head: switch to the header timer.
    public mutating func bytesReceived() -> Action {
        guard phase == .idle else { return .none }
        phase = .awaitingHead
        return .arm(headerTimeout)
    }

    public mutating func headReceived() -> Action {
        let wasTiming = phase != .busy
        phase = .busy
        return wasTiming ? .cancel : .none
    }

    /// The response ended. With a pipelined request already queued the connection stays busy.
    public mutating func exchangeFinished(nextRequestQueued: Bool) -> Action {
        if nextRequestQueued {
            phase = .busy
            return .none
        }
        phase = .idle
        return .arm(idleTimeout)
    }

    public mutating func timerFired() -> Action {
        phase == .busy ? .none : .close
    }
}
