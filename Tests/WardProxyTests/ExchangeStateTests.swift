import Testing

@testable import WardProxy

@Suite("ExchangeState")
struct ExchangeStateTests {
    @Test func forwardedExchangeReusesUpstreamOnlyWhenBothEndsCompleted() {
        var state = ExchangeState()
        state.requestStarted(close: false)
        state.allowed()
        #expect(state.phase == .connecting)
        state.upstreamReady()
        #expect(state.requestEnd() == .none)
        state.responseHead(upstreamKeepAlive: true)
        #expect(state.responseEnd() == .complete(reuseUpstream: true, closeClient: false))
        #expect(state.isIdle)
    }

    @Test func earlyResponseNeverReusesUpstream() {
        var state = ExchangeState()
        state.requestStarted(close: false)
        state.allowed()
        state.upstreamReady()
        state.responseHead(upstreamKeepAlive: true)
        #expect(state.responseEnd() == .none)
        #expect(state.requestEnd() == .complete(reuseUpstream: false, closeClient: false))
    }

    @Test func upstreamConnectionCloseIsHonoured() {
        var state = ExchangeState()
        state.requestStarted(close: true)
        state.allowed()
        state.upstreamReady()
        _ = state.requestEnd()
        state.responseHead(upstreamKeepAlive: false)
        #expect(state.responseEnd() == .complete(reuseUpstream: false, closeClient: true))
    }

    @Test func localAnswerWaitsForTheRequestBody() {
        var state = ExchangeState()
        state.requestStarted(close: false)
        #expect(state.answerLocally(close: false) == .none)
        #expect(state.phase == .answeredLocally)
        #expect(state.requestEnd() == .complete(reuseUpstream: false, closeClient: false))
    }

    @Test func localAnswerAfterRequestEndCompletesAtOnce() {
        var state = ExchangeState()
        state.requestStarted(close: false)
        state.allowed()
        _ = state.requestEnd()
        #expect(state.answerLocally(close: false) == .complete(reuseUpstream: false, closeClient: false))
    }

    @Test func secondRequestDuringAnExchangeIsRefused() {
        var state = ExchangeState()
        let first = state.requestStarted(close: false)
        #expect(first)
        state.allowed()
        let second = state.requestStarted(close: false)
        #expect(!second)
        #expect(state.phase == .connecting)
    }

    @Test func retryGoesBackToConnecting() {
        var state = ExchangeState()
        state.requestStarted(close: false)
        state.allowed()
        state.upstreamReady()
        _ = state.requestEnd()
        state.upstreamLost()
        state.retryConnecting()
        #expect(state.phase == .connecting)
        state.upstreamReady()
        state.responseHead(upstreamKeepAlive: true)
        #expect(state.responseEnd() == .complete(reuseUpstream: true, closeClient: false))
    }
}
