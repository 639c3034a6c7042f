using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Realtime;

namespace OpsConsole.Tests.Realtime;

/// <summary>
/// The cluster bus without a server: two buses wired to each other in memory, so the envelope, the
/// splitting of large batches and the treatment of hostile messages are checked on every run.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterBusTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A transport that hands every message to the peer, as Redis or NOTIFY would.</summary>
    internal sealed class WiredBus(int maxMessageBytes) : ClusterBus(NullLogger.Instance, hubsShared: false)
    {
        private readonly object _gate = new();

        public WiredBus? Peer { get; set; }

        public ConcurrentQueue<byte[]> Sent { get; } = new();

        public override bool IsShared => true;

        public override string Transport => "wired";

        protected override int MaxMessageBytes => maxMessageBytes;

        /// <summary>One delivery at a time, as the real transports' single receive loop does.</summary>
        public void Deliver(byte[] message)
        {
            lock (_gate)
            {
                Receive(message);
            }
        }

        public void Deliver(string message) => Deliver(Encoding.UTF8.GetBytes(message));

        public void Connected() => MarkUp();

        public void Lost() => MarkDown("test");

        protected override Task ConnectAsync(CancellationToken stop) => Task.CompletedTask;

        protected override Task DisconnectAsync() => Task.CompletedTask;

        protected override Task PublishAsync(IReadOnlyList<byte[]> messages, CancellationToken ct)
        {
            foreach (var m in messages)
            {
                Sent.Enqueue(m);
                Peer?.Deliver(m);
            }
            return Task.CompletedTask;
        }
    }

    /// <summary>A feed with the shape of the review notifier's (a batch of records).</summary>
    internal sealed class ReviewFeed(ClusterBus bus) : Notifier<IReadOnlyList<ReviewChange>>(NullLogger.Instance, bus)
    {
        public int Resyncs;

        protected override void OnMissed()
        {
            Interlocked.Increment(ref Resyncs);
            base.OnMissed();
        }
    }

    internal sealed class KeyFeed(ClusterBus bus) : Notifier<int>(NullLogger.Instance, bus);

    private readonly WiredBus _a = new(2_000);
    private readonly WiredBus _b = new(2_000);
    private readonly ReviewFeed _feedA;
    private readonly ReviewFeed _feedB;
    private readonly ConcurrentQueue<ReviewChange> _heardByA = new();
    private readonly ConcurrentQueue<ReviewChange> _heardByB = new();

    public ClusterBusTests()
    {
        _a.Peer = _b;
        _b.Peer = _a;
        _feedA = new ReviewFeed(_a);
        _feedB = new ReviewFeed(_b);
        _feedA.Changed += changes => Enqueue(_heardByA, changes);
        _feedB.Changed += changes => Enqueue(_heardByB, changes);
    }

    private static void Enqueue(ConcurrentQueue<ReviewChange> queue, IReadOnlyList<ReviewChange> changes)
    {
        foreach (var c in changes)
        {
            queue.Enqueue(c);
        }
    }

    public async ValueTask InitializeAsync()
    {
        await _a.StartAsync(Ct);
        await _b.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _a.StopAsync(CancellationToken.None);
        await _b.StopAsync(CancellationToken.None);
    }

    private static ReviewChange Change(long id) =>
        new(7, id, ReviewChange.Claimed, "claimed", "reviewer@opsconsole.local", new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc), null);

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(5, Ct);
        }
    }

    /// <summary>A valid message as another instance would send it.</summary>
    private static string Valid(long id, string from = "other-instance") =>
        $$"""{"v":1,"from":"{{from}}","n":"ReviewFeed","d":{{JsonSerializer.Serialize(new[] { Change(id) }, ClusterBus.Json)}}}""";

    [Fact]
    public async Task Publish_OnA_ReachesBOnceAndAIsNotToldTwice()
    {
        _feedA.Publish([Change(1)]);

        await UntilAsync(() => _heardByB.Count == 1, "B to hear the change");
        Assert.Equal(Change(1), Assert.Single(_heardByB));
        // A told its own subscribers when publishing; its own message coming back is ignored.
        _a.Deliver(Assert.Single(_a.Sent));
        Assert.Single(_heardByA);
        Assert.Equal(0, _a.DroppedCount + _b.DroppedCount);
    }

    [Fact]
    public async Task Publish_BatchLargerThanAMessage_SplitIntoMessagesThatEachFitAndArriveInOrder()
    {
        var batch = Enumerable.Range(1, 300).Select(i => Change(i)).ToList();

        _feedA.Publish(batch);

        await UntilAsync(() => _heardByB.Count == 300, "all 300 changes");
        Assert.Equal(batch, _heardByB.ToList());
        Assert.True(_a.Sent.Count > 10, $"{_a.Sent.Count} messages for 300 changes of about 150 bytes each");
        Assert.All(_a.Sent, m => Assert.InRange(m.Length, 1, 2_000));
    }

    [Fact]
    public async Task Publish_SingleChangeLargerThanAMessage_NotSentAndTheOthersResync()
    {
        var huge = Change(1) with { ClaimedBy = new string('x', 5_000) };

        _feedA.Publish([huge, Change(2)]);
        _feedA.Publish([Change(3)]);

        await UntilAsync(() => _heardByB.Any(c => c.ItemId == 3), "the next change");
        Assert.DoesNotContain(_heardByB, c => c.ItemId == 1);
        Assert.Contains(_heardByB, c => c.ItemId == 2);
        // B could not be told of item 1, so it was told to drop what it caches.
        Assert.True(_feedB.Resyncs >= 1);
    }

    public static TheoryData<string, string> HostileMessages() => new()
    {
        { "empty", "" },
        { "not JSON", "hello" },
        { "cut off", """{"v":1,"from":"x","n":"ReviewFeed","d":[""" },
        { "two objects", Valid(99) + Valid(98) },
        { "an array", "[1,2,3]" },
        { "null", "null" },
        { "an empty object", "{}" },
        { "another version", """{"v":2,"from":"x","n":"ReviewFeed","d":[]}""" },
        { "version as text", """{"v":"1","from":"x","n":"ReviewFeed","d":[]}""" },
        { "no sender", """{"v":1,"n":"ReviewFeed","d":[]}""" },
        { "sender not text", """{"v":1,"from":12,"n":"ReviewFeed","d":[]}""" },
        { "sender too long", $$"""{"v":1,"from":"{{new string('x', 65)}}","n":"ReviewFeed","d":[]}""" },
        { "sender twice", """{"v":1,"from":"x","from":"y","n":"ReviewFeed","d":[]}""" },
        { "notifier twice", """{"v":1,"from":"x","n":"KeyFeed","n":"ReviewFeed","d":[]}""" },
        { "no change", """{"v":1,"from":"x","n":"ReviewFeed"}""" },
        { "change not a list", """{"v":1,"from":"x","n":"ReviewFeed","d":"claimed"}""" },
        { "null change", """{"v":1,"from":"x","n":"ReviewFeed","d":null}""" },
        { "null item", """{"v":1,"from":"x","n":"ReviewFeed","d":[null]}""" },
        { "number as text", """{"v":1,"from":"x","n":"ReviewFeed","d":[{"pathId":"7","itemId":1,"kind":"claimed","status":"claimed"}]}""" },
        { "required field missing", """{"v":1,"from":"x","n":"ReviewFeed","d":[{"pathId":7,"itemId":1,"status":"claimed"}]}""" },
        { "null where none may be", """{"v":1,"from":"x","n":"ReviewFeed","d":[{"pathId":7,"itemId":1,"kind":null,"status":"claimed"}]}""" },
        { "number too large", """{"v":1,"from":"x","n":"ReviewFeed","d":[{"pathId":99999999999,"itemId":1,"kind":"claimed","status":"claimed"}]}""" },
        { "deep nesting", """{"v":1,"from":"x","n":"ReviewFeed","d":""" + new string('[', 40) + new string(']', 40) + "}" },
        { "too large", """{"v":1,"from":"x","n":"ReviewFeed","d":[""" + string.Join(',', Enumerable.Repeat("1", 1_500)) + "]}" },
        { "resync not true", """{"v":1,"from":"x","resync":"yes"}""" },
        { "comment", """{"v":1,/* hi */"from":"x","n":"ReviewFeed","d":[]}""" },
    };

    [Theory]
    [MemberData(nameof(HostileMessages))]
    public async Task Receive_HostileMessage_DroppedAndTheNextIsReadIntact(string what, string message)
    {
        _b.Deliver(message);
        _b.Deliver(Valid(42));

        Assert.True(_b.DroppedCount == 1, $"{what}: dropped {_b.DroppedCount}");
        await UntilAsync(() => !_heardByB.IsEmpty, "the valid message");
        Assert.Equal(Change(42), Assert.Single(_heardByB));
        Assert.Equal(0, _feedB.Resyncs);
    }

    [Fact]
    public void Receive_InvalidUtf8AndControlBytes_Dropped()
    {
        _b.Deliver([0xFF, 0xFE, 0x00, 0x7B]);
        _b.Deliver([.. "{\"v\":1,\"from\":\""u8.ToArray(), 0xC3, 0x28, .. "\",\"n\":\"ReviewFeed\",\"d\":[]}"u8.ToArray()]);
        _b.Deliver(Valid(2));

        Assert.Equal(2, _b.DroppedCount);
        Assert.Equal(2, Assert.Single(_heardByB).ItemId);
    }

    [Fact]
    public void Receive_ClaimingToComeFromThisInstance_Ignored()
    {
        _b.Deliver(Valid(5, from: _b.InstanceId));

        Assert.Empty(_heardByB);
        Assert.Equal(0, _b.DroppedCount);
    }

    [Fact]
    public void Receive_ForAFeedThisInstanceLacks_IgnoredNotCountedAsHostile()
    {
        _b.Deliver("""{"v":1,"from":"newer-instance","n":"SomeFutureNotifier","d":{"anything":1}}""");
        _b.Deliver(Valid(3));

        Assert.Equal(0, _b.DroppedCount);
        Assert.Equal(3, Assert.Single(_heardByB).ItemId);
    }

    [Fact]
    public void Receive_SubscriberThrows_LaterMessagesStillDelivered()
    {
        _feedB.Changed += _ => throw new InvalidOperationException("a broken view");

        _b.Deliver(Valid(1));
        _b.Deliver(Valid(2));

        Assert.Equal([1L, 2L], _heardByB.Select(c => c.ItemId));
        Assert.Equal(0, _b.DroppedCount);
    }

    [Fact]
    public async Task Receive_ThousandsFromManyThreads_EveryValidOneArrivesAndEveryBadOneIsDropped()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 250; i++)
            {
                _b.Deliver(i % 2 == 0 ? Valid(t * 1_000 + i) : """{"v":1,"from":"x","n":"ReviewFeed","d":[{"pathId":"x"}]}""");
            }
        }, Ct)));

        Assert.Equal(1_000, _heardByB.Count);
        Assert.Equal(1_000, _b.DroppedCount);
    }

    [Fact]
    public async Task Resync_AfterTheTransportWasLost_BothSidesDropTheirCaches()
    {
        _b.Connected();
        Assert.Equal(1, _feedB.Resyncs); // whatever happened before B listened was not heard

        _a.Connected();
        _a.Lost();
        _a.Connected();

        // A resyncs itself, and tells B, which may have missed what A sent meanwhile.
        Assert.Equal(2, _feedA.Resyncs);
        await UntilAsync(() => _feedB.Resyncs == 2, "B to resync");
    }

    [Fact]
    public async Task RealFeeds_EventsIncidentsNotifications_ArriveOnTheOtherInstanceAsPublished()
    {
        var events = (A: new EventsNotifier(NullLogger<EventsNotifier>.Instance, _a), B: new EventsNotifier(NullLogger<EventsNotifier>.Instance, _b));
        var incidents = (A: new IncidentNotifier(NullLogger<IncidentNotifier>.Instance, _a), B: new IncidentNotifier(NullLogger<IncidentNotifier>.Instance, _b));
        var notices = (A: new NotificationNotifier(NullLogger<NotificationNotifier>.Instance, _a), B: new NotificationNotifier(NullLogger<NotificationNotifier>.Instance, _b));
        var heardPaths = new ConcurrentQueue<IReadOnlySet<int>>();
        var heardIncidents = new ConcurrentQueue<long>();
        var heardUsers = new ConcurrentQueue<string>();
        events.B.Changed += heardPaths.Enqueue;
        incidents.B.Changed += heardIncidents.Enqueue;
        notices.B.Changed += heardUsers.Enqueue;

        events.A.Publish(new HashSet<int> { 3, 1, 2 });
        incidents.A.Publish(long.MaxValue);
        notices.A.Publish(["user-1", "user-2", "user-1"]);

        await UntilAsync(() => heardPaths.Count == 1 && heardIncidents.Count == 1 && heardUsers.Count == 2, "every feed");
        Assert.Equal([1, 2, 3], Assert.Single(heardPaths).Order());
        Assert.Equal(long.MaxValue, Assert.Single(heardIncidents));
        Assert.Equal(["user-1", "user-2"], heardUsers);
        Assert.Equal(0, _b.DroppedCount);
    }

    [Fact]
    public void Join_TwoFeedsWithOneName_Refused()
    {
        _ = new KeyFeed(_b);
        Assert.Throws<InvalidOperationException>(() => new KeyFeed(_b));
    }

    /// <summary>A change that counts how often it is read (serialised).</summary>
    internal sealed class Probe
    {
        private int _reads;

        public int Reads => _reads;

        public int Value => Interlocked.Increment(ref _reads);
    }

    internal sealed class ProbeFeed(ClusterBus bus) : Notifier<Probe>(NullLogger.Instance, bus);

    [Fact]
    public void Publish_InProcessBus_TellsSubscribersAndSerialisesNothing()
    {
        var bus = new InProcessBus(NullLogger<InProcessBus>.Instance);
        var feed = new ProbeFeed(bus);
        var heard = new List<Probe>();
        feed.Changed += heard.Add;
        var probe = new Probe();

        feed.Publish(probe);

        Assert.Same(probe, Assert.Single(heard));
        Assert.Equal(0, probe.Reads);
        Assert.False(bus.IsShared);
        Assert.True(bus.IsConnected);
        // The same feed on a shared bus does serialise it: the probe can tell.
        var shared = new ProbeFeed(new WiredBus(2_000));
        shared.Publish(probe);
        Assert.Equal(1, probe.Reads);
    }
}
