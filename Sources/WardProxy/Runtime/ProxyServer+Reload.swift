import Foundation
import Logging
import NIOCore

extension ProxyServer {
    /// Why a reload happened, for the log.
    public enum ReloadTrigger: String, Sendable {
        case signal = "SIGHUP"
        case fileChange = "file change"
    }

    /// Re-reads SVID, key, bundle and policies and swaps them in together. On any failure the running identity and
    /// policies stay in force; the failure is logged and counted. Returns whether the new state is in force.
    @discardableResult
    public func reload(trigger: ReloadTrigger) -> Bool {
        reloadLock.withLock { reloadLocked(trigger: trigger) }
    }

    private func reloadLocked(trigger: ReloadTrigger) -> Bool {
        let fingerprint = FileFingerprint.of(config)
        let loaded: LoadedState
        do {
            loaded = try LoadedState.load(config)
        } catch {
            let first = state.withLockedValue { state -> Bool in
                defer {
                    state.failedFingerprint = fingerprint
                    state.lastReloadError = error.message
                }
                return trigger == .signal || state.failedFingerprint != fingerprint
            }
            if first {
                metrics.reloadFailure.increment()
                logger.error(
                    "reload failed; the running identity and policies stay in force",
                    metadata: ["trigger": "\(trigger.rawValue)", "code": "\(error.code)", "error": "\(error.message)"])
            }
            return false
        }
        let (provider, engines, previous) = state.withLockedValue { state in
            defer {
                state.loaded = loaded
                state.fingerprint = fingerprint
                state.failedFingerprint = nil
                state.lastReloadError = nil
            }
            return (state.tlsProvider, state.engines, state.loaded)
        }
        provider?.swap(loaded.tlsContext)
        engines?.swap(loaded.engine)
        recordLoaded(loaded)
        metrics.reloadSuccess.increment()
        logger.info(
            "reloaded",
            metadata: [
                "trigger": "\(trigger.rawValue)", "identity": "\(loaded.localID)",
                "svid_serial": "\(loaded.svidSerial)", "policy_hash": "\(loaded.engine.contentHash)",
                "previous_policy_hash": "\(previous?.engine.contentHash ?? "-")", "rules": "\(loaded.engine.ruleCount)",
            ])
        return true
    }

    /// Checks the watched files every `reloadInterval` and reloads when any changed.
    func startPolling() {
        guard config.reloadInterval > .zero else { return }
        let loop = group.next()
        let task = loop.scheduleRepeatedAsyncTask(initialDelay: config.reloadInterval, delay: config.reloadInterval) {
            [self] _ in
            let current = FileFingerprint.of(config)
            let known = state.withLockedValue { $0.fingerprint }
            guard current != known else { return loop.makeSucceededVoidFuture() }
            // Loading parses keys and compiles policies: keep it off the event loops.
            return DispatchQueue.global().submit(on: loop) {
                self.reload(trigger: .fileChange)
            }
        }
        state.withLockedValue { $0.pollTask = task }
    }
}

extension DispatchQueue {
    /// Runs `body` on this queue and completes on `loop`.
    func submit(on loop: EventLoop, _ body: @escaping @Sendable () -> Void) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        async {
            body()
            promise.succeed()
        }
        return promise.futureResult
    }
}
