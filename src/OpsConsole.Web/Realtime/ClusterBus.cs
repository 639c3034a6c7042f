using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace OpsConsole.Web.Realtime;

/// <summary>A change feed as the cluster bus sees it (every <see cref="Notifier{T}"/> is one).</summary>
public interface IClusterListener
{
    /// <summary>The feed's name on the wire; the same on every instance.</summary>
    string BusName { get; }

    /// <summary>Handles a change another instance published; throws when the payload is not one.</summary>
    void Receive(JsonElement payload);

    /// <summary>Changes of other instances may have been lost (the bus was down): caches must be dropped.</summary>
    void Resync();
}

/// <summary>
/// Carries the changes of every <see cref="Notifier{T}"/> to the same notifier on the other instances
/// of one console, so views, caches and hub clients on instance B hear of what happened on A.
/// <list type="bullet">
/// <item>In-process (SQLite, one instance): sends nothing and serialises nothing; the notifiers work as before.</item>
/// <item>Redis pub/sub when <c>OpsConsole:Redis:Connection</c> is set: the SignalR backplane depends on Redis
/// anyway, so push and bus are up or down together, and the database is not loaded with a message per commit.</item>
/// <item>PostgreSQL <c>LISTEN/NOTIFY</c> on PostgreSQL without Redis: several instances stay correct with
/// nothing but the database they already share (one more connection per instance).</item>
/// </list>
/// A message is a small JSON envelope <c>{"v":1,"from":instance,"n":notifier,"d":change}</c>. Changes are
/// ids and states, never bodies: a receiver re-reads what it shows from the database, so a message is a
/// hint, and a forged one can at most cause a needless refresh. Batches too large for one message
/// (NOTIFY refuses 8000 bytes) are split into several. Each instance ignores its own messages (it
/// already told its own subscribers), and a malformed or hostile message is logged and dropped: each is
/// parsed on its own, so one cannot change how the next is read nor stop the receiving loop.
/// Publishing never waits for the network: messages queue (bounded) and one loop sends them in order.
/// When the connection was lost, every instance drops its caches once it is back (a "resync"), because
/// changes made meanwhile were not heard; the caches' own maximum ages bound what a lost resync costs.
/// </summary>
public abstract class ClusterBus
{
    public const int FormatVersion = 1;
    private const int MaxSenderLength = 64;
    private const int OutboxCapacity = 10_000;
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>How changes are written and read: strict, so a message that does not fit the change type is refused.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        AllowDuplicateProperties = false,
        MaxDepth = 16,
    };

    private static readonly JsonDocumentOptions EnvelopeOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, IClusterListener> _listeners = new(StringComparer.Ordinal);
    private readonly Channel<byte[]> _outbox;
    private readonly byte[] _resync;
    private readonly CancellationTokenSource _stop = new();
    private Task _sending = Task.CompletedTask;
    private int _missedOutgoing;
    private int _state;
    private long _dropped;
    private long _lastDropLog;

    private const int Unknown = 0;
    private const int Up = 1;
    private const int Down = 2;

    protected ClusterBus(ILogger log, bool hubsShared)
    {
        _log = log;
        HubsShared = hubsShared;
        _resync = Encoding.UTF8.GetBytes($$"""{"v":{{FormatVersion}},"from":"{{InstanceId}}","resync":true}""");
        _outbox = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(OutboxCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Volatile.Write(ref _missedOutgoing, 1));
    }

    /// <summary>This instance's id in every message it sends; random per start.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Whether the SignalR hubs share a backplane: then a push from the instance where a change happened
    /// already reached the hub clients of every instance, and a change from the bus must not be pushed again.
    /// Without one each instance pushes the changes it hears of to its own hub clients.
    /// </summary>
    public bool HubsShared { get; }

    /// <summary>False for the in-process bus: nothing leaves the process, nothing is serialised.</summary>
    public abstract bool IsShared { get; }

    /// <summary>What carries the messages, for log lines.</summary>
    public abstract string Transport { get; }

    /// <summary>Whether the transport is connected (in-process: always).</summary>
    public bool IsConnected => !IsShared || Volatile.Read(ref _state) == Up;

    /// <summary>The largest message the transport takes, in UTF-8 bytes; larger batches are split.</summary>
    protected abstract int MaxMessageBytes { get; }

    /// <summary>Messages dropped on receipt since the start (malformed, hostile, or not a change).</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    public void Join(IClusterListener listener)
    {
        if (!_listeners.TryAdd(listener.BusName, listener) && !ReferenceEquals(_listeners[listener.BusName], listener))
        {
            throw new InvalidOperationException($"Two change feeds are named {listener.BusName} on the cluster bus.");
        }
    }

    /// <summary>Queues a change for the other instances; never blocks and never throws.</summary>
    public void Send<T>(string name, T change)
    {
        if (!IsShared)
        {
            return;
        }
        try
        {
            // Serialised now, on the publisher's thread: the change may be a collection its owner reuses.
            foreach (var message in Envelopes(name, JsonSerializer.SerializeToUtf8Bytes(change, Json)))
            {
                _outbox.Writer.TryWrite(message);
            }
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _missedOutgoing, 1);
            _log.LogWarning(ex, "A change of {Notifier} could not be put on the cluster bus", name);
        }
    }

    /// <summary>
    /// The messages that carry one change: one envelope when it fits, else a JSON array split into
    /// envelopes of consecutive elements (each one a valid change of the same type). Internal for tests.
    /// </summary>
    internal IEnumerable<byte[]> Envelopes(string name, byte[] payload)
    {
        var head = Encoding.UTF8.GetBytes($$"""{"v":{{FormatVersion}},"from":"{{InstanceId}}","n":{{JsonSerializer.Serialize(name)}},"d":""");
        if (head.Length + payload.Length + 1 <= MaxMessageBytes)
        {
            return [[.. head, .. payload, (byte)'}']];
        }
        using var doc = JsonDocument.Parse(payload);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            Volatile.Write(ref _missedOutgoing, 1);
            _log.LogWarning("A change of {Notifier} ({Bytes} bytes) is too large for the cluster bus; other instances resync instead", name, payload.Length);
            return [];
        }
        var messages = new List<byte[]>();
        var chunk = new ArrayBufferWriter<byte>(MaxMessageBytes);
        var count = 0;
        foreach (var element in doc.RootElement.EnumerateArray())
        {
            var raw = JsonMarshal.GetRawUtf8Value(element);
            if (head.Length + raw.Length + 3 > MaxMessageBytes)
            {
                Volatile.Write(ref _missedOutgoing, 1);
                _log.LogWarning("One item of a change of {Notifier} ({Bytes} bytes) is too large for the cluster bus; other instances resync instead", name, raw.Length);
                continue;
            }
            if (count > 0 && chunk.WrittenCount + 1 + raw.Length + 2 > MaxMessageBytes)
            {
                messages.Add(Close(chunk));
                chunk.ResetWrittenCount();
                count = 0;
            }
            if (count == 0)
            {
                chunk.Write(head);
                chunk.Write("["u8);
            }
            else
            {
                chunk.Write(","u8);
            }
            chunk.Write(raw);
            count++;
        }
        if (count > 0)
        {
            messages.Add(Close(chunk));
        }
        return messages;

        static byte[] Close(ArrayBufferWriter<byte> chunk)
        {
            chunk.Write("]}"u8);
            return chunk.WrittenSpan.ToArray();
        }
    }

    /// <summary>
    /// Reads one message from the transport and hands it to its notifier. Never throws: whatever is
    /// wrong with the message is logged and the message dropped. Implementations call it from one loop.
    /// </summary>
    protected void Receive(ReadOnlyMemory<byte> message)
    {
        try
        {
            if (message.Length > MaxMessageBytes)
            {
                throw new InvalidDataException($"{message.Length} bytes, more than the {MaxMessageBytes} a message may have.");
            }
            using var doc = JsonDocument.Parse(message, EnvelopeOptions);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("Not a JSON object.");
            }
            if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != FormatVersion)
            {
                throw new InvalidDataException($"No format version {FormatVersion}.");
            }
            if (!root.TryGetProperty("from", out var from) || from.ValueKind != JsonValueKind.String || from.GetString() is not { Length: > 0 and <= MaxSenderLength } sender)
            {
                throw new InvalidDataException("No sender.");
            }
            if (sender == InstanceId)
            {
                return;
            }
            if (root.TryGetProperty("resync", out var resync))
            {
                if (resync.ValueKind != JsonValueKind.True)
                {
                    throw new InvalidDataException("A resync that is not true.");
                }
                ResyncHere();
                return;
            }
            if (!root.TryGetProperty("n", out var n) || n.ValueKind != JsonValueKind.String || !root.TryGetProperty("d", out var change))
            {
                throw new InvalidDataException("No notifier or no change.");
            }
            if (!_listeners.TryGetValue(n.GetString()!, out var listener))
            {
                // An instance of another version may have a feed this one lacks (a rolling deploy): not an attack.
                _log.LogDebug("A cluster message for {Notifier}, which this instance does not have, was ignored", n.GetString());
                return;
            }
            listener.Receive(change);
        }
        catch (Exception ex)
        {
            Dropped(ex, message.Length);
        }
    }

    private void Dropped(Exception ex, int bytes)
    {
        var dropped = Interlocked.Increment(ref _dropped);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastDropLog);
        // A flood of bad messages must not become a flood of log lines: one a minute, with the count.
        if (last == 0 || now - last >= DropLogInterval.TotalMilliseconds)
        {
            if (Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
            {
                _log.LogWarning("A cluster bus message ({Bytes} bytes) was dropped: {Reason} ({Dropped} dropped since start)",
                    bytes, ex.Message, dropped);
            }
        }
    }

    private void ResyncHere()
    {
        foreach (var listener in _listeners.Values)
        {
            try
            {
                listener.Resync();
            }
            catch (Exception ex)
            {
                _log.LogWarning(ex, "{Notifier} failed to resync", listener.BusName);
            }
        }
    }

    /// <summary>The transport is connected (again): this instance drops its caches, and after an outage tells the others to.</summary>
    protected void MarkUp()
    {
        var was = Interlocked.Exchange(ref _state, Up);
        if (was == Up)
        {
            return;
        }
        if (was == Down)
        {
            _log.LogInformation("The cluster bus ({Transport}) is back; caches are dropped to catch up with changes made meanwhile", Transport);
            _outbox.Writer.TryWrite(_resync);
        }
        else
        {
            _log.LogDebug("The cluster bus ({Transport}) is connected as instance {Instance}", Transport, InstanceId);
        }
        // Whatever other instances changed before this one listened was not heard.
        ResyncHere();
    }

    /// <summary>The transport is lost: logged once per outage.</summary>
    protected void MarkDown(string reason)
    {
        if (Interlocked.Exchange(ref _state, Down) != Down)
        {
            _log.LogWarning("The cluster bus ({Transport}) is lost: {Reason}. This instance keeps serving on its own; " +
                "changes made on other instances reach it again when the connection is back", Transport, reason);
        }
    }

    public Task StartAsync(CancellationToken ct)
    {
        if (!IsShared)
        {
            return Task.CompletedTask;
        }
        _sending = Task.Run(() => SendLoopAsync(_stop.Token), CancellationToken.None);
        return ConnectAsync(_stop.Token);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        await _stop.CancelAsync();
        _outbox.Writer.TryComplete();
        try
        {
            await _sending.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }
        await DisconnectAsync();
    }

    /// <summary>Starts listening; must not wait for an unreachable server (it keeps trying in the background).</summary>
    protected abstract Task ConnectAsync(CancellationToken stop);

    protected abstract Task DisconnectAsync();

    /// <summary>Sends messages in order; throws when they could not be sent.</summary>
    protected abstract Task PublishAsync(IReadOnlyList<byte[]> messages, CancellationToken ct);

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var batch = new List<byte[]>();
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(ct))
            {
                batch.Clear();
                // A message that could not be sent leaves the others stale: they drop their caches first.
                if (Interlocked.Exchange(ref _missedOutgoing, 0) == 1)
                {
                    batch.Add(_resync);
                }
                while (batch.Count < 64 && _outbox.Reader.TryRead(out var message))
                {
                    if (!ReferenceEquals(message, _resync) || !batch.Contains(_resync))
                    {
                        batch.Add(message);
                    }
                }
                try
                {
                    await PublishAsync(batch, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    _log.LogDebug(ex, "{Count} cluster bus messages could not be sent", batch.Count);
                    Volatile.Write(ref _missedOutgoing, 1);
                    await Task.Delay(RetryPause, ct);
                    // Wake the loop even if nothing else is published, so the resync goes out once the transport is back.
                    _outbox.Writer.TryWrite(_resync);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}

/// <summary>One instance (SQLite): the notifiers' own subscribers are all there is.</summary>
public sealed class InProcessBus(ILogger<InProcessBus> log) : ClusterBus(log, hubsShared: false)
{
    public override bool IsShared => false;

    public override string Transport => "in-process";

    protected override int MaxMessageBytes => int.MaxValue;

    protected override Task ConnectAsync(CancellationToken stop) => Task.CompletedTask;

    protected override Task DisconnectAsync() => Task.CompletedTask;

    protected override Task PublishAsync(IReadOnlyList<byte[]> messages, CancellationToken ct) => Task.CompletedTask;
}
