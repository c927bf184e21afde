import Testing
@testable import SignalingServer

@Suite("Cluster link state machine")
struct ClusterLinkTests {
    @Test func startsLocalAndRecoversOnlyWhenBothLinksAreUp() {
        var link = ClusterLink()
        #expect(link.mode == .degraded)
        #expect(link.handle(.commandLinkUp) == [])
        #expect(link.mode == .degraded)
        #expect(link.handle(.subscribed(reconnect: false)) == [.recover])
        #expect(link.mode == .recovering)
        #expect(!link.isClustered)
        #expect(link.handle(.recoveryFinished(success: true)) == [.enterClusterMode])
        #expect(link.isClustered)
    }

    @Test func subscriptionFirstThenCommandLink() {
        var link = ClusterLink()
        #expect(link.handle(.subscribed(reconnect: false)) == [])
        #expect(link.handle(.commandLinkUp) == [.recover])
    }

    @Test func losingEitherLinkFallsBackToLocalMode() {
        for loss in [ClusterLink.Input.commandLinkDown, .subscriptionLost] {
            var link = connected()
            #expect(link.handle(loss) == [.enterLocalMode])
            #expect(link.mode == .degraded)
            #expect(link.handle(loss) == [])  // no second announcement
        }
    }

    @Test func redisReturningTriggersRecovery() {
        var link = connected()
        _ = link.handle(.commandLinkDown)
        _ = link.handle(.subscriptionLost)
        #expect(link.handle(.commandLinkUp) == [])
        #expect(link.handle(.subscribed(reconnect: true)) == [.recover])
        #expect(link.handle(.recoveryFinished(success: true)) == [.enterClusterMode])
    }

    @Test func subscriptionBlipWhileClusteredForcesReconciliation() {
        var link = connected()
        // The subscriber reconnected before the node noticed a loss.
        #expect(link.handle(.subscribed(reconnect: true)) == [.enterLocalMode, .recover])
        #expect(link.mode == .recovering)
    }

    @Test func failedRecoveryRetriesOnTick() {
        var link = ClusterLink()
        _ = link.handle(.commandLinkUp)
        _ = link.handle(.subscribed(reconnect: false))
        #expect(link.handle(.recoveryFinished(success: false)) == [])
        #expect(link.mode == .degraded)
        #expect(link.handle(.tick) == [.recover])
    }

    @Test func linkLostDuringRecoveryDiscardsItsSuccess() {
        var link = ClusterLink()
        _ = link.handle(.commandLinkUp)
        _ = link.handle(.subscribed(reconnect: false))
        #expect(link.handle(.commandLinkDown) == [])
        #expect(link.handle(.recoveryFinished(success: true)) == [])
        #expect(!link.isClustered)
        #expect(link.handle(.tick) == [])  // still waiting for the command link
    }

    @Test func sweptWhileAliveReRegisters() {
        var link = connected()
        #expect(link.handle(.foundSelfMissing) == [.enterLocalMode, .recover])
        #expect(link.handle(.recoveryFinished(success: true)) == [.enterClusterMode])
        var degraded = ClusterLink()
        #expect(degraded.handle(.foundSelfMissing) == [])
    }

    private func connected() -> ClusterLink {
        var link = ClusterLink()
        _ = link.handle(.commandLinkUp)
        _ = link.handle(.subscribed(reconnect: false))
        _ = link.handle(.recoveryFinished(success: true))
        return link
    }
}
