using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Ingestion;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>
/// A body over 4 MB on real Kestrel sockets: the client must hear a 413 problem, with or without
/// Content-Length, instead of a connection closed under it while it is still sending.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BodyLimitTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly OpsConsoleFactory _factory = new OpsConsoleFactory()
        .With("OpsConsole:Ingestion:RequestsPerSecond", "1000")
        .With("OpsConsole:Ingestion:Burst", "1000");
    private Uri _baseUrl = null!;

    public ValueTask InitializeAsync()
    {
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _baseUrl = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>200 events of about 30 KB each: about 6 MB, as in the report.</summary>
    private static byte[] BigBatch()
    {
        var text = new string('x', 30 * 1024);
        var events = Enumerable.Range(0, 200).Select(i => (JsonNode)Ingest.Event($"big-{i}", input: text)).ToArray();
        return Encoding.UTF8.GetBytes(Ingest.Batch(events).ToJsonString());
    }

    private async Task<HttpResponseMessage> PostAsync(HttpClient client, HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, "/api/v1/events")) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Ingest.DemoKey);
        return await client.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Post_BodyOver4MB_Answers413ProblemWithTheLimit(bool withContentLength)
    {
        var body = BigBatch();
        Assert.True(body.Length > EventsApi.MaxBodyBytes);
        using var client = new HttpClient();
        // Without Content-Length the body goes chunked, as from a streaming client.
        HttpContent content = withContentLength ? new ByteArrayContent(body) : new StreamContent(new UnseekableStream(body));

        using var response = await PostAsync(client, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Contains("4 MB", problem.GetProperty("detail").GetString());
        Assert.Equal(EventsApi.MaxBodyBytes, problem.GetProperty("limitBytes").GetInt32());

        // The connection was left usable: a normal batch right after is stored.
        using var next = await PostAsync(client, new StringContent(Ingest.Batch(Ingest.Event("after-big")).ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    /// <summary>A stream without a length, so HttpClient sends the body chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
