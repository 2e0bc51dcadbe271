import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension ProxyServer {
    /// Stops accepting, lets in-flight requests finish within the drain timeout, then stops everything.
    ///
    /// HTTP connections get NIO's quiesce event: idle ones close at once, busy ones after their current response.
    /// Whatever is still open when the drain timeout passes is closed. Idempotent.
    public func drain() {
        let (listener, admin, alreadyDraining) = state.withLockedValue { state in
            defer { state.draining = true }
            return (state.listener, state.admin, state.draining)
        }
        guard !alreadyDraining else { return }
        logger.info("draining", metadata: ["open_connections": "\(tracker.count)", "timeout_s": "\(config.drainTimeout.seconds)"])
        state.withLockedValue { $0.pollTask?.cancel() }
        let closed = listener?.close() ?? group.next().makeSucceededVoidFuture()
        closed.whenComplete { [self] _ in
            for channel in tracker.all {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
            waitForConnections(deadline: .now() + config.drainTimeout, admin: admin)
        }
    }

    private func waitForConnections(deadline: NIODeadline, admin: Channel?) {
        let loop = group.next()
        let open = tracker.count
        if open > 0, NIODeadline.now() < deadline {
            loop.scheduleTask(in: .milliseconds(50)) { [self] in waitForConnections(deadline: deadline, admin: admin) }
            return
        }
        if open > 0 {
            logger.warning("drain timeout passed; closing remaining connections", metadata: ["open_connections": "\(open)"])
            for channel in tracker.all { channel.close(promise: nil) }
        }
        let shared = state.withLockedValue { $0.shared }
        let loops = Array(group.makeIterator())
        let idleClosed = loops.map { loop in
            loop.submit { shared?.pool.closeIdle(on: loop) }
        }
        EventLoopFuture.andAllComplete(idleClosed, on: loop).flatMap { () -> EventLoopFuture<Void> in
            admin?.close() ?? loop.makeSucceededVoidFuture()
        }.whenComplete { [self] _ in
            shared?.accessLog?.close()
            logger.info("stopped")
            stopped.succeed()
        }
    }

    /// Stops the event loops after `run()` returned.
    public func shutdownEventLoops() {
        try? group.syncShutdownGracefully()
    }
}
