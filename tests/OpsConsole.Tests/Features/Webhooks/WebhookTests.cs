using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Features.Review;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Webhooks;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Tests.Features.Webhooks;

/// <summary>Outgoing webhooks: written with the change, signed, retried with backoff, and kept across a restart.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Secret = "whsec-0123456789abcdef";

    /// <summary>The receiver: answers with the queued statuses (200 when none are left) and keeps what it got.</summary>
    private sealed class Receiver : HttpMessageHandler
    {
        public Queue<HttpStatusCode> Answers { get; } = new();
        public List<(string Body, string Signature, string Event)> Received { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var body = await request.Content!.ReadAsStringAsync(ct);
            Received.Add((body, request.Headers.GetValues(WebhookDispatcher.SignatureHeader).Single(), request.Headers.GetValues("X-OpsConsole-Event").Single()));
            return new HttpResponseMessage(Answers.Count > 0 ? Answers.Dequeue() : HttpStatusCode.OK);
        }
    }

    private sealed class Factory(Receiver receiver, string? db = null) : OpsConsoleFactory(db)
    {
        public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        protected override void ConfigureTestServices(IServiceCollection services)
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddHttpClient(WebhookDispatcher.ClientName).ConfigurePrimaryHttpMessageHandler(() => receiver);
        }
    }

    private readonly Receiver _receiver = new();
    private Factory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = new Factory(_receiver);
        _factory.CreateClient().Dispose();
        await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == "ticket-triage")
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.WebhookUrl, "https://hooks.example.org/opsconsole").SetProperty(p => p.WebhookSecret, Secret), Ct));
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private WebhookDispatcher Dispatcher => _factory.Services.GetRequiredService<WebhookDispatcher>();

    [Fact]
    public async Task KillSwitch_WritesADelivery_SignedSoTheReceiverCanVerify()
    {
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        Assert.True((await _factory.Services.GetRequiredService<ControlsService>().SetKillSwitchAsync("ticket-triage", true, null, "bad labels", oncall, Ct)).Succeeded);
        // Written in the kill switch's own transaction, before anything is sent.
        Assert.Equal(1, await Db.QueryAsync(_factory, db => db.WebhookDeliveries.CountAsync(d => d.Event == WebhookEvents.KillSwitchChanged && d.DeliveredAt == null, Ct)));

        Assert.Equal(1, await Dispatcher.RunAsync(Ct));

        var (body, signature, @event) = Assert.Single(_receiver.Received);
        Assert.Equal(WebhookEvents.KillSwitchChanged, @event);
        // What a receiver does: HMAC-SHA256 of the raw body under the shared secret.
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body)));
        Assert.Equal(expected, signature);
        Assert.NotEqual("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("wrong-secret-000000"u8.ToArray(), Encoding.UTF8.GetBytes(body))), signature);
        Assert.Contains("\"killSwitch\":true", body);
        Assert.Contains("\"path\":\"ticket-triage\"", body);
        Assert.Equal(0, await Dispatcher.RunAsync(Ct)); // delivered once
    }

    [Fact]
    public async Task FailingReceiver_RetriedWithBackoff_ThenDelivered()
    {
        _receiver.Answers.Enqueue(HttpStatusCode.InternalServerError);
        _receiver.Answers.Enqueue(HttpStatusCode.BadGateway);
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        var id = (await _factory.Services.GetRequiredService<IncidentService>().OpenAsync("ticket-triage", "Queue mix-up", "SEV3", oncall, Ct)).Value;

        Assert.Equal(0, await Dispatcher.RunAsync(Ct));            // 500
        Assert.Equal(0, await Dispatcher.RunAsync(Ct));            // not due yet: backoff
        _factory.Clock.Advance(WebhookDispatcher.Backoff(1));
        Assert.Equal(0, await Dispatcher.RunAsync(Ct));            // 502
        _factory.Clock.Advance(WebhookDispatcher.Backoff(2));
        Assert.Equal(1, await Dispatcher.RunAsync(Ct));            // 200

        Assert.Equal(3, _receiver.Received.Count);
        Assert.All(_receiver.Received, r => Assert.Equal(WebhookEvents.IncidentOpened, r.Event));
        var d = await Db.QueryAsync(_factory, db => db.WebhookDeliveries.SingleAsync(Ct));
        Assert.Equal((3, 200), (d.Attempts, d.LastStatus));
        Assert.NotNull(d.DeliveredAt);
        Assert.Contains($"\"incident\":{id}", d.PayloadJson);
    }

    [Fact]
    public async Task PendingDelivery_SentAfterARestart()
    {
        var oncall = await Principals.ForAsync(_factory, "oncall@opsconsole.local");
        await _factory.Services.GetRequiredService<IncidentService>().OpenAsync("ticket-triage", "Before the restart", "SEV2", oncall, Ct);
        // Nothing was sent before the console stopped.
        var db = _factory.DatabasePath;
        await _factory.DisposeAsync(keepDatabase: true);
        _factory = new Factory(_receiver, db);
        _factory.CreateClient().Dispose();

        Assert.Equal(1, await Dispatcher.RunAsync(Ct));
        Assert.Contains("Before the restart", Assert.Single(_receiver.Received).Body);
    }

    /// <summary>The stored value read with the test's own SQL, past EF: what a copy of the database file would show.</summary>
    private async Task<string?> RawSecretAsync(string slug = "ticket-triage") =>
        (await Db.QueryAsync(_factory, db => db.Database.SqlQueryRaw<string?>(Db.Portable($"SELECT WebhookSecret AS Value FROM Paths WHERE Slug = '{slug}'")).ToListAsync(Ct))).Single();

    [Fact]
    public async Task WebhookSecret_SavedThroughTheService_StoredEncryptedNeverInClearText()
    {
        const string plain = "saved-through-form-0123456789";
        var paths = _factory.Services.GetRequiredService<PathService>();
        var owner = await Principals.ForAsync(_factory, TestUsers.Owner);
        var detail = (await paths.GetAsync("support-reply-draft", Ct))!;
        var input = PathInput.From(detail.Path);
        input.WebhookUrl = "https://hooks.example.org/support";
        input.WebhookSecret = plain;
        Assert.True((await paths.UpdateAsync("support-reply-draft", input, detail.Path.UpdatedAt, owner, Ct)).Succeeded);

        var raw = await RawSecretAsync("support-reply-draft");
        Assert.StartsWith(SecretProtector.Prefix, raw);
        Assert.DoesNotContain(plain, raw);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(plain)), raw);
        // Nothing a page loads carries it.
        var reloaded = PathInput.From((await paths.GetAsync("support-reply-draft", Ct))!.Path);
        Assert.Null(reloaded.WebhookSecret);
        Assert.True(reloaded.HasStoredWebhookSecret);
    }

    [Fact]
    public async Task WebhookSecret_PlainTextFromAnOlderVersion_EncryptedAtStart_AndStillSignsCorrectly()
    {
        await Db.ExecuteAsync(_factory, $"UPDATE Paths SET WebhookSecret = '{Secret}' WHERE Slug = 'ticket-triage'");
        Assert.Equal(Secret, await RawSecretAsync());
        var db = _factory.DatabasePath;
        await _factory.DisposeAsync(keepDatabase: true);
        _factory = new Factory(_receiver, db);
        _factory.CreateClient().Dispose();

        var raw = await RawSecretAsync();
        Assert.StartsWith(SecretProtector.Prefix, raw);
        Assert.DoesNotContain(Secret, raw);
        // A second pass (another instance starting) finds nothing left to encrypt.
        Assert.Equal(0, await _factory.Services.GetRequiredService<WebhookSecrets>().EncryptLegacyAsync(Ct));
        Assert.Equal(raw, await RawSecretAsync());

        var oncall = await Principals.ForAsync(_factory, TestUsers.OnCall);
        Assert.True((await _factory.Services.GetRequiredService<ControlsService>().SetKillSwitchAsync("ticket-triage", true, null, "after upgrade", oncall, Ct)).Succeeded);
        Assert.Equal(1, await Dispatcher.RunAsync(Ct));
        var (body, signature, _) = Assert.Single(_receiver.Received);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))), signature);
    }

    [Fact]
    public async Task WebhookSecret_ProtectedUnderAnotherPurpose_NotOpened_NothingSentUnsigned()
    {
        var protector = _factory.Services.GetRequiredService<SecretProtector>();
        var foreign = protector.Protect(SecretKind.OidcClientSecret, Secret);
        Assert.Throws<CryptographicException>(() => protector.Unprotect(SecretKind.WebhookSecret, foreign));
        await Db.QueryAsync(_factory, db => db.Paths.Where(p => p.Slug == "ticket-triage").ExecuteUpdateAsync(s => s.SetProperty(p => p.WebhookSecret, foreign), Ct));

        var oncall = await Principals.ForAsync(_factory, TestUsers.OnCall);
        Assert.True((await _factory.Services.GetRequiredService<ControlsService>().SetKillSwitchAsync("ticket-triage", true, null, "foreign secret", oncall, Ct)).Succeeded);

        Assert.Equal(0, await Dispatcher.RunAsync(Ct));
        Assert.Empty(_receiver.Received);
        var d = await Db.QueryAsync(_factory, db => db.WebhookDeliveries.SingleAsync(Ct));
        Assert.Contains("cannot be decrypted", d.LastError);
        Assert.Null(d.FailedAt); // retried: the secret can be set again
    }

    [Fact]
    public void Backoff_GrowsAndIsCapped()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), WebhookDispatcher.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(60), WebhookDispatcher.Backoff(2));
        Assert.Equal(TimeSpan.FromHours(1), WebhookDispatcher.Backoff(20));
    }
}
