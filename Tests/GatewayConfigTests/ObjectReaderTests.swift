import Testing
@testable import GatewayConfig

@Suite struct ObjectReaderTests {
    func node(_ json: String, env: [String: String] = [:], pointer: String = "/x") throws -> Node {
        Node(value: try JSONParser.parse(json), pointer: pointer,
             context: DecodeContext(environment: env, baseDirectory: "/etc/portcullis"))
    }

    func messages(_ node: Node) -> [String] { node.context.diagnostics.map(\.description) }

    @Test func unknownKeysAreReportedWithSuggestions() throws {
        let n = try node(#"{"htp": 1, "listen": 2, "Listen": 3, "zzz": 4}"#, pointer: "")
        let reader = try #require(n.object())
        _ = reader.optional("http")
        _ = reader.optional("listen")
        reader.finish()
        #expect(messages(n) == [
            #"/htp: unknown key "htp" (did you mean "http"?)"#,
            #"/Listen: unknown key "Listen" (did you mean "listen"?)"#,
            #"/zzz: unknown key "zzz""#,
        ])
    }

    @Test func requiredKeysAndUnsupportedKeys() throws {
        let n = try node(#"{"tls": {}}"#)
        let reader = try #require(n.object())
        #expect(reader.required("listen") == nil)
        reader.rejectUnsupported(["tls", "waf"])
        reader.finish()
        #expect(messages(n) == [#"/x: missing required key "listen""#, #"/x/tls: "tls" is not supported yet"#])
    }

    @Test func typeErrorsNameTheExpectedAndActualType() throws {
        let n = try node("[1]")
        #expect(n.string() == nil)
        #expect(n.object() == nil)
        #expect(n.bool() == nil)
        #expect(try node("\"a\"").array() == nil)
        #expect(messages(n) == ["/x: must be a string (got array)", "/x: must be an object (got array)", "/x: must be true or false (got array)"])
    }

    @Test func stringsExpandEnvironmentVariables() throws {
        #expect(try node(#""Bearer ${T}""#, env: ["T": "abc"]).string() == "Bearer abc")
        let missing = try node(#""${NOPE}""#)
        #expect(missing.string() == nil)
        #expect(messages(missing) == [#"/x: environment variable "NOPE" is not set"#])
        let empty = try node(#""""#)
        #expect(empty.nonEmptyString() == nil)
        #expect(messages(empty) == ["/x: must not be empty"])
    }

    @Test func integers() throws {
        #expect(try node("200").int(in: 100...599) == 200)
        #expect(try node("2e2").int(in: 100...599) == 200)
        let fraction = try node("200.5")
        #expect(fraction.int(in: 100...599) == nil)
        let outside = try node("600")
        #expect(outside.int(in: 100...599) == nil)
        #expect(messages(fraction) + messages(outside) == ["/x: must be an integer (got 200.5)", "/x: must be between 100 and 599 (got 600)"])
    }

    @Test func durations() throws {
        let max = Duration.seconds(900)
        #expect(try node("30").duration(max: max) == .seconds(30))
        #expect(try node("0.5").duration(max: max) == .milliseconds(500))
        #expect(try node("0").duration(max: max) == .zero)
        #expect(try node(#""250ms""#).duration(max: max) == .milliseconds(250))
        #expect(try node(#""${T}""#, env: ["T": "2m"]).duration(max: max) == .seconds(120))
        func error(_ json: String, minExclusive: Bool = false) throws -> [String] {
            let n = try node(json)
            #expect(n.duration(max: max, minExclusive: minExclusive) == nil)
            return messages(n)
        }
        #expect(try error(#""20m""#) == ["/x: must be between 0 and 15m (got 20m)"])
        #expect(try error("1200") == ["/x: must be between 0 and 15m (got 1200)"])
        #expect(try error("-1") == ["/x: must be between 0 and 15m (got -1)"])
        #expect(try error("0", minExclusive: true) == ["/x: must be greater than 0 and at most 15m (got 0)"])
        #expect(try error(#""5 minutes""#) == [#"/x: invalid duration "5 minutes": use seconds (30, 0.5) or a number with ms, s, m, h or d ("250ms", "29s", "5m")"#])
        #expect(try error("true") == [#"/x: must be a duration (seconds, or a string such as "29s") (got boolean)"#])
    }

    @Test func sizes() throws {
        let range = 1024...(1024 * 1024)
        #expect(try node("2048").size(in: range) == 2048)
        #expect(try node(#""16KB""#).size(in: range) == 16_384)
        #expect(try node(#""1mb""#).size(in: range) == 1_048_576)
        func error(_ json: String) throws -> [String] {
            let n = try node(json)
            #expect(n.size(in: range) == nil)
            return messages(n)
        }
        #expect(try error(#""2MB""#) == ["/x: must be between 1KB and 1MB (got 2MB)"])
        #expect(try error("512") == ["/x: must be between 1KB and 1MB (got 512)"])
        #expect(try error("1.5") == ["/x: must be a whole number of bytes (got 1.5)"])
        #expect(try error(#""16 KB""#) == [#"/x: invalid size "16 KB": use bytes (1024) or a number with B, KB, MB or GB ("64KB", "10MB")"#])
        #expect(try error("[]") == [#"/x: must be a size (bytes, or a string such as "64KB") (got array)"#])
    }

    @Test func filePathsResolveAgainstTheConfigDirectory() throws {
        #expect(try node(#""logs/access.log""#).filePath() == "/etc/portcullis/logs/access.log")
        #expect(try node(#""../var/a.log""#).filePath() == "/etc/var/a.log")
        #expect(try node(#""/var/log/a.log""#).filePath() == "/var/log/a.log")
        #expect(try node(#""${D}/a.log""#, env: ["D": "/tmp"]).filePath() == "/tmp/a.log")
    }

    @Test func expandedValueSubstitutesInsideContainers() throws {
        let n = try node(#"{"a": ["${X}", 1], "${X}": "k"}"#, env: ["X": "v"])
        #expect(n.expandedValue() == (try JSONParser.parse(#"{"a": ["v", 1], "${X}": "k"}"#)))
        let missing = try node(#"{"a": [true, "${NOPE}"]}"#)
        #expect(missing.expandedValue() == nil)
        #expect(messages(missing) == [#"/x/a/1: environment variable "NOPE" is not set"#])
    }

    @Test func suggestionsNeedASmallDistance() {
        #expect(KeySuggestion.closest(to: "timout", among: ["timeout", "route"]) == "timeout")
        #expect(KeySuggestion.closest(to: "BASEPATH", among: ["basePath"]) == "basePath")
        #expect(KeySuggestion.closest(to: "color", among: ["route", "timeout"]) == nil)
    }

    @Test func configPaths() {
        #expect(ConfigPaths.directory(of: "/etc/portcullis/gateway.json") == "/etc/portcullis")
        #expect(ConfigPaths.directory(of: "/gateway.json") == "/")
        #expect(ConfigPaths.resolve("a/./b/../c.log", against: "/srv") == "/srv/a/c.log")
    }
}
