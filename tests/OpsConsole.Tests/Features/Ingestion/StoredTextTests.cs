using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Tests.Infrastructure;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Review;

namespace OpsConsole.Tests.Features.Ingestion;

/// <summary>
/// Text that is not Unicode (a lone surrogate escape) is refused per item wherever it can appear,
/// and whatever a row holds (an older row, a hand edit) never breaks a page.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StoredTextTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly OpsConsoleFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private Task<int> StoreAsync(long id, string attributes, string sources) =>
        Db.QueryAsync(_factory, db => db.Database.ExecuteSqlRawAsync(
            "UPDATE \"InferenceEvents\" SET \"AttributesJson\" = {0}, \"SourcesJson\" = {1} WHERE \"Id\" = {2}", [attributes, sources, id], Ct));

    [Fact]
    public async Task Post_LoneSurrogateInBreakdownAttribute_ItemRejectedBatchAnswered()
    {
        // support-reply-draft breaks its figures down by "segment": the value is read on the ingest path.
        var hostile = Ingest.Event("segment-surrogate").ToJsonString()[..^1] + ",\"attributes\":{\"segment\":\"\\ud800\"}}";
        var body = "{\"events\":[" + hostile + "," + Ingest.Event("segment-fine").ToJsonString() + "]}";

        using var response = await _factory.CreateClient().SendAsync(Ingest.Request(body), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = System.Text.Json.JsonSerializer.Deserialize<Ingest.IngestResult>(await response.Content.ReadAsStringAsync(Ct), System.Text.Json.JsonSerializerOptions.Web)!;
        Assert.Equal(["rejected", "accepted"], result.Results.Select(r => r.Status));
        Assert.Equal("invalid_text", result.Results[0].Reason);
    }

    [Fact]
    public async Task EventPage_StoredLoneSurrogatesAndBrokenJson_PageRenders()
    {
        await Ingest.PostOkAsync(_factory.CreateClient(), Ingest.Batch(Ingest.Event("stored-badly", confidence: 0.2)));
        var id = await Db.QueryAsync(_factory, db => db.InferenceEvents.Where(e => e.EventId == "stored-badly").Select(e => e.Id).SingleAsync(Ct));
        // What an older console stored, or a hand edit: lone surrogates in every spot, then JSON that is not even an object.
        await StoreAsync(id, """{"segment":"\ud800","n\udc00":"v","num":5}""", """[{"title":"\udfff","url":"\ud800"},7]""");
        var owner = await SignIn.AsAsync(_factory, TestUsers.Owner);

        using var page = await owner.GetAsync($"/paths/support-reply-draft/events/{id}", Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("\\ud800", html);

        await StoreAsync(id, "not json", """{"a":1}""");
        using var again = await owner.GetAsync($"/paths/support-reply-draft/events/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("not json", await again.Content.ReadAsStringAsync(Ct));

        // The review view shows the same stored fields.
        var item = await Db.QueryAsync(_factory, db => db.ReviewItems.Where(r => r.EventRowId == id).Select(r => r.Id).SingleAsync(Ct));
        using var review = await owner.GetAsync($"/review/{item}", Ct);
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
    }
}
