using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Events;

namespace OpsConsole.Web.Features.Ingestion;

/// <summary><c>POST /api/v1/events</c>: the ingestion contract of DESIGN.md.</summary>
public static class EventsApi
{
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>
    /// How much of a too-large body is still read (and thrown away) so the client hears the 413:
    /// a server that answers before the body is in and then closes the connection leaves most
    /// clients with a reset while they are still sending, and no answer at all. Past this the
    /// connection is closed after the answer.
    /// </summary>
    public const long DrainBytes = 32L * 1024 * 1024;

    public sealed record IngestResponse(int Accepted, int Duplicates, int Rejected, IReadOnlyList<ItemResult> Results);

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/events", PostAsync)
            .RequireAuthorization(IngestionFeature.WritePolicy)
            .RequireRateLimiting(IngestionFeature.RateLimitPolicy)
            .DisableAntiforgery()
            .WithName("PostEvents")
            .WithSummary("Send a batch of up to 1,000 inference events (4 MB).")
            .Produces<IngestResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> PostAsync(HttpContext http, IngestionService ingestion, TimeProvider time, CancellationToken ct)
    {
        var caller = http.Features.Get<ApiCaller>()!;
        if (!http.Request.HasJsonContentType())
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content type",
                detail: "Send the batch as 'Content-Type: application/json'.");
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = DrainBytes;
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return await TooLargeAsync(http, ct);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            try
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (length > MaxBodyBytes)
                        {
                            return await TooLargeAsync(http, ct);
                        }
                        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBodyBytes + 1024));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    var read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), ct);
                    if (read == 0)
                    {
                        break;
                    }
                    length += read;
                    if (length > MaxBodyBytes)
                    {
                        return await TooLargeAsync(http, ct);
                    }
                }
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return TooLarge();
            }

            // JSON text is UTF-8 (RFC 8259). The reader only checks string contents when they are read,
            // so check the whole body once here (vectorised, far cheaper than the parse).
            if (!System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, length)))
            {
                return BadEnvelope("The body is not valid UTF-8.");
            }
            List<ParsedItem> items;
            try
            {
                items = EventContract.ReadBatch(buffer.AsSpan(0, length), time.GetUtcNow().UtcDateTime, IngestionService.MaxEvents);
            }
            catch (JsonException ex)
            {
                return BadEnvelope("The body is not valid JSON: " + ex.Message);
            }
            catch (BatchTooLargeException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too many events", detail: ex.Message);
            }
            catch (EnvelopeException ex)
            {
                return BadEnvelope(ex.Message);
            }

            var submitter = new Submitter(caller.KeyId, caller.Name, caller.MayUse);
            ItemResult[] results;
            try
            {
                results = await ingestion.IngestAsync(buffer, items, submitter, ct);
            }
            catch (IngestionBusyException ex)
            {
                http.Response.Headers.RetryAfter = "2";
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Storage busy",
                    detail: ex.Message + " Nothing from this batch was acknowledged; send it again (stored items will answer 'duplicate').");
            }
            var accepted = 0;
            var duplicates = 0;
            foreach (var r in results)
            {
                accepted += r.Status == ItemStatus.Accepted ? 1 : 0;
                duplicates += r.Status == ItemStatus.Duplicate ? 1 : 0;
            }
            return Results.Ok(new IngestResponse(accepted, duplicates, results.Length - accepted - duplicates, results));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads what is left of a too-large body (up to <see cref="DrainBytes"/>), then answers 413.</summary>
    private static async Task<IResult> TooLargeAsync(HttpContext http, CancellationToken ct)
    {
        await Infrastructure.RequestBody.DrainAsync(http, DrainBytes, ct);
        return TooLarge();
    }

    private static IResult TooLarge() => Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Batch too large",
        detail: $"A batch is at most {MaxBodyBytes / (1024 * 1024)} MB ({MaxBodyBytes:N0} bytes); split it into smaller batches.",
        extensions: new Dictionary<string, object?> { ["limitBytes"] = MaxBodyBytes });

    private static IResult BadEnvelope(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed batch",
        detail: detail + " Nothing was stored.");
}
