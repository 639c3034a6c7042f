using System.Text;
using Npgsql;

namespace OpsConsole.Web.Realtime;

/// <summary>
/// The cluster bus on PostgreSQL <c>LISTEN/NOTIFY</c> (channel <c>opsconsole_bus</c>), for several
/// instances on one database without Redis. One connection per instance listens (outside the pool,
/// with keepalives so a dead server is noticed) and is opened again after a failure; notifications
/// are sent in batches through a small pool of their own. NOTIFY payloads must stay under 8000
/// bytes, so large batches are split (see <see cref="ClusterBus"/>). There is no SignalR backplane
/// here: each instance pushes the changes it hears of to its own hub clients.
/// </summary>
public sealed class PostgresClusterBus : ClusterBus
{
    public const string Channel = "opsconsole_bus";

    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _notify;
    private readonly string _listen;
    private Task _listening = Task.CompletedTask;

    public PostgresClusterBus(string connectionString, ILogger<PostgresClusterBus> log)
        : base(log, hubsShared: false)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "opsconsole-bus", MaxPoolSize = 4 };
        _notify = NpgsqlDataSource.Create(csb.ConnectionString);
        _listen = new NpgsqlConnectionStringBuilder(csb.ConnectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString;
    }

    public override bool IsShared => true;

    public override string Transport => "PostgreSQL LISTEN/NOTIFY";

    // The server refuses a NOTIFY payload of 8000 bytes or more.
    protected override int MaxMessageBytes => 7_900;

    protected override Task ConnectAsync(CancellationToken stop)
    {
        _listening = Task.Run(() => ListenLoopAsync(stop), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task ListenLoopAsync(CancellationToken stop)
    {
        var pause = FirstPause;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_listen);
                await connection.OpenAsync(stop);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == Channel)
                    {
                        Receive(Encoding.UTF8.GetBytes(e.Payload));
                    }
                };
                await using (var listen = new NpgsqlCommand("LISTEN " + Channel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stop);
                }
                MarkUp();
                pause = FirstPause;
                while (true)
                {
                    await connection.WaitAsync(stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                MarkDown(ex.Message);
            }
            try
            {
                await Task.Delay(pause, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }

    protected override async Task PublishAsync(IReadOnlyList<byte[]> messages, CancellationToken ct)
    {
        await using var batch = _notify.CreateBatch();
        foreach (var message in messages)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify($1, $2)")
            {
                Parameters = { new NpgsqlParameter { Value = Channel }, new NpgsqlParameter { Value = Encoding.UTF8.GetString(message) } },
            });
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    protected override async Task DisconnectAsync()
    {
        await _listening;
        await _notify.DisposeAsync();
    }
}
