#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A function worker's OS process: spawned with exactly the environment it is given (nothing inherited), its
/// stdout and stderr on pipes the gateway reads, optionally under an address-space limit.
struct WorkerProcess {
    let pid: pid_t
    /// Read ends of the worker's stdout and stderr (the caller owns and closes them).
    let stdout: CInt
    let stderr: CInt

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// `memoryMB` becomes `ulimit -v` through `/bin/sh` (posix_spawn cannot set a limit in the child alone).
    /// `searchPath` finds the program (`searchPath(configured:gateway:)`); `environment` is all the worker gets.
    static func spawn(command: [String], environment: [String: String], searchPath: String, workingDirectory: String?,
                      memoryMB: Int?) throws -> WorkerProcess {
        guard !command.isEmpty else { throw SpawnError(description: "empty command") }
        guard let resolved = resolve(command[0], path: searchPath) else {
            throw SpawnError(description: "cannot start \(command[0]): not found on PATH")
        }
        var argv = [resolved] + command.dropFirst()
        // The working directory and the memory limit are set by `/bin/sh` just before it becomes the worker:
        // Glibc's module exposes no `posix_spawn_file_actions_addchdir_np`, and no spawn attribute sets a limit.
        if workingDirectory != nil || memoryMB != nil {
            var script = ""
            var arguments: [String] = []
            if let workingDirectory {
                script += "cd \"$1\" || exit 127; shift; "
                arguments.append(workingDirectory)
            }
            if let memoryMB { script += "ulimit -v \(memoryMB * 1024) || exit 127; " }
            argv = ["/bin/sh", "-c", script + "exec \"$@\"", "portcullis-worker"] + arguments + argv
        }
        var outPipe: [CInt] = [0, 0]
        var errPipe: [CInt] = [0, 0]
        guard pipe(&outPipe) == 0 else { throw SpawnError(description: "pipe: \(errnoText())") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnError(description: "pipe: \(errnoText())")
        }
        // Close-on-exec everywhere: the child gets its ends only through the dup2 below, and workers spawned
        // later never inherit another worker's pipes (which would hide that one's exit).
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Nothing else of the gateway's reaches the worker: not its listening sockets (an orphaned worker would keep
        // the ports after a crash), not its connections or epoll descriptors, whatever their close-on-exec flag.
        Self.closeFrom3(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so a signal to the gateway's terminal does not reach the workers first, and the
        // default signal mask and handlers, whatever the gateway's threads have set.
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnv)
        close(outPipe[1])
        close(errPipe[1])
        guard result == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(result)))")
        }
        return WorkerProcess(pid: pid, stdout: outPipe[0], stderr: errPipe[0])
    }

    /// The PATH a worker gets when its configuration gives none.
    static let defaultPATH = "/usr/local/bin:/usr/bin:/bin"

    /// Where the program is looked for: the PATH the function's own `environment` sets, else the gateway's, else
    /// the default. (Not the worker's base environment: its default PATH would hide the gateway's.)
    static func searchPath(configured environment: [(name: String, value: String)], gateway: String?) -> String {
        environment.last { $0.name == "PATH" }?.value ?? gateway ?? defaultPATH
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), found at run time so the binary still starts on
    /// an older glibc; there, every descriptor from 3 up is marked close-on-exec instead.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt)? = {
        // A nil handle is RTLD_DEFAULT on glibc: the symbol as the process's libraries define it.
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt).self)
    }()

    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        let limit = min(Int(sysconf(Int32(_SC_OPEN_MAX))), 65_536)
        for descriptor in 3..<CInt(max(3, limit)) {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// A name with a slash is used as it is (relative to the working directory); others are searched on `path`.
    static func resolve(_ name: String, path: String) -> String? {
        if name.contains("/") { return name }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    func signal(_ number: CInt) {
        kill(pid, number)
    }

    /// The exit status if the process has ended (reaping it), or nil while it runs.
    func reap() -> String? {
        var status: CInt = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? "exited" : nil }
        if status & 0x7F == 0 { return "exit status \((status >> 8) & 0xFF)" }
        return "signal: \(status & 0x7F == SIGKILL ? "killed" : String(status & 0x7F))"
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
