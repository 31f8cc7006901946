import Testing
@testable import LoadTest

@Suite struct LoadTestPlanTests {
    func target(_ url: String) -> LoadTestTarget? {
        if case .success(let target) = LoadTestTarget.parse(url) { return target }
        return nil
    }

    @Test func urlsSplitIntoConnectionAndRequestTarget() {
        #expect(target("http://127.0.0.1:8080/orders/1?x=1") == LoadTestTarget(https: false, host: "127.0.0.1", port: 8080, requestTarget: "/orders/1?x=1"))
        #expect(target("https://localhost") == LoadTestTarget(https: true, host: "localhost", port: 443, requestTarget: "/"))
        #expect(target("http://[::1]:9000?q") == LoadTestTarget(https: false, host: "::1", port: 9000, requestTarget: "/?q"))
        #expect(target("http://h/p#frag")?.requestTarget == "/p")
        #expect(target("http://[::1]:9000")?.authority == "[::1]:9000")
        #expect(target("https://h:443/")?.authority == "h")
    }

    @Test func badURLsAreRefusedWithAReason() {
        for url in ["ftp://h/", "http://", "http://h:0/", "http://h:99999/", "http://u@h/", "http://[::1/", "h:80"] {
            guard case .failure(let error) = LoadTestTarget.parse(url) else {
                Issue.record("accepted \(url)")
                continue
            }
            #expect(!error.description.isEmpty)
        }
    }

    @Test func theScheduleIsEvenAndEndsBeforeTheDuration() {
        let plan = LoadTestPlan(target: target("http://h/")!, rate: 3, duration: .seconds(2))
        #expect(plan.offeredRequests == 6)
        #expect((0..<6).map { plan.intendedOffset(of: $0) } == [0, 333_333_333, 666_666_667, 1_000_000_000, 1_333_333_333, 1_666_666_667])
    }

    @Test func oneBucketExpectationIsBurstPlusRefillOverTheSchedule() throws {
        // 10,000/s for 3 s into 1000/s with a burst of 100: 100 at once, then one per millisecond until 2.9999 s.
        let plan = LoadTestPlan(target: target("http://h/")!, rate: 10_000, duration: .seconds(3))
        guard case .success(let expectation) = AdmissionExpectation.bucket(rate: 1000, burst: 100, plan: plan) else {
            Issue.record("no expectation")
            return
        }
        #expect(expectation.total == 100 + 2999)
        // Below the limit every request is admitted.
        let slow = LoadTestPlan(target: target("http://h/")!, rate: 500, duration: .seconds(3))
        guard case .success(let all) = AdmissionExpectation.bucket(rate: 1000, burst: 100, plan: slow) else { return }
        #expect(all.total == 1500)
    }

    @Test func theReportIsOneJSONObjectWithTheContractFields() throws {
        var results = LoadTestResults(seconds: 2, keys: 2)
        for i in 0..<10 {
            results.recordSent(index: i, second: i / 5, key: i % 2, lateBy: 0)
            results.recordAnswer(status: i < 6 ? 200 : 429, second: i / 5, key: i % 2, latencyNanoseconds: 1_500_000)
        }
        let plan = LoadTestPlan(target: target("http://h/")!, rate: 5, duration: .seconds(2), apiKeys: ["key-one-aaaa", "key-two-bbbb"])
        let report = LoadTestReport(plan: plan, results: results, expectation: nil, elapsedSeconds: 2)
        let json = report.json()
        #expect(json.hasPrefix(#"{"durationSeconds":2,"requests":10,"status":{"200":6,"429":4},"errors":0,"admitted":6,"throttled":4,"expectedAdmitted":null,"errorPercent":null,"latencyMs":{"p50":1.5"#))
        #expect(json.contains(#""perKey":[{"key":"…aaaa","requests":5,"admitted":3,"throttled":2,"errors":0,"expectedAdmitted":null}"#))
        #expect(!json.contains("key-one"))
        let text = report.text()
        #expect(text.contains("admitted (2xx) 6") && text.contains("…bbbb"))
    }

    @Test func durationsReadAsTheConfigWritesThem() {
        #expect(LoadTestDuration.parse("30") == .seconds(30))
        #expect(LoadTestDuration.parse("0.5") == .milliseconds(500))
        #expect(LoadTestDuration.parse("250ms") == .milliseconds(250))
        #expect(LoadTestDuration.parse("5m") == .seconds(300))
        #expect(LoadTestDuration.parse("1h") == .seconds(3600))
        #expect(LoadTestDuration.parse("1d") == .seconds(86_400))
        for bad in ["", "0", "-1s", "abc", "5x", "s", "infs", "nan", "2d", "1e400"] { #expect(LoadTestDuration.parse(bad) == nil, "\(bad)") }
    }

    @Test func numbersPrintWithoutExponents() {
        #expect(LoadTestReport.number(0.1) == "0.1")
        #expect(LoadTestReport.number(1e-9) == "0")
        #expect(LoadTestReport.number(-2.5) == "-2.5")
        #expect(LoadTestReport.number(123456789.0) == "123456789")
        #expect(LoadTestReport.signed(0.004) == "+0.00")
        #expect(LoadTestReport.signed(-1.256) == "-1.26")
        #expect(LoadTestReport.signed(12.3) == "+12.30")
    }
}
