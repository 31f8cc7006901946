import Testing
@testable import GatewayConfig

@Suite struct EnvironmentSubstitutionTests {
    let env = ["TOKEN": "s3cret", "HOST": "db", "EMPTY": ""]

    func run(_ text: String) -> EnvironmentSubstitution.Outcome {
        EnvironmentSubstitution.substitute(text, environment: env)
    }

    @Test func wholeAndEmbeddedReferences() {
        #expect(run("${TOKEN}") == .init(value: "s3cret", errors: []))
        #expect(run("Bearer ${TOKEN}") == .init(value: "Bearer s3cret", errors: []))
        #expect(run("${HOST}:${HOST}/x") == .init(value: "db:db/x", errors: []))
        #expect(run("[${EMPTY}]") == .init(value: "[]", errors: []))
    }

    @Test func plainDollarsAreKept() {
        #expect(run("costs $5 or $") == .init(value: "costs $5 or $", errors: []))
        #expect(run("no refs") == .init(value: "no refs", errors: []))
    }

    @Test func missingAndMalformedReferences() {
        #expect(run("a ${NOPE} b ${ALSO}").errors == ["environment variable \"NOPE\" is not set",
                                                       "environment variable \"ALSO\" is not set"])
        #expect(run("${TOKEN").errors == ["unterminated environment reference \"${TOKEN\" (write ${NAME})"])
        #expect(run("${1X}").errors == ["invalid environment variable name \"1X\" in \"${1X}\""])
        #expect(run("${}").errors == ["invalid environment variable name \"\" in \"${}\""])
    }

    @Test func valuesAreNotRescanned() {
        let outcome = EnvironmentSubstitution.substitute("${A}", environment: ["A": "${B}"])
        #expect(outcome == .init(value: "${B}", errors: []))
    }
}
