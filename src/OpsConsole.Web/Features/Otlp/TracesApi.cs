using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Otlp.Proto;
using OpsConsole.Web.Infrastructure;

namespace OpsConsole.Web.Features.Otlp;

using OpsConsole.Web.Features.Traces;

/// <summary>
/// <c>POST /v1/traces</c>: OTLP/HTTP trace export (binary protobuf or JSON, gzip accepted), with an
/// API key that may write events. Answers as the OTLP/HTTP specification says: 200 with
/// <c>ExportTraceServiceResponse</c> (its <c>partial_success</c> says how many spans were refused
/// and why), errors with a <c>google.rpc.Status</c> body in the request's encoding.
/// </summary>
public static class TracesApi
{
    public const string Route = "/v1/traces";
    /// <summary>Largest body on the wire (as for the events API).</summary>
    public const int MaxBodyBytes = EventsApi.MaxBodyBytes;
    /// <summary>Largest body after gunzip: a compressed body may not expand past this.</summary>
    public const int MaxDecompressedBytes = 16 * 1024 * 1024;
    public const string Protobuf = "application/x-protobuf";
    public const string Json = "application/json";

    public static IEndpointRouteBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, PostAsync)
            .RequireAuthorization(IngestionFeature.WritePolicy)
            .RequireRateLimiting(IngestionFeature.RateLimitPolicy)
            .DisableAntiforgery()
            .WithName("PostOtlpTraces")
            .WithSummary("OTLP/HTTP trace export (application/x-protobuf or application/json, gzip accepted; 4 MB, 16 MB unzipped).");
        return app;
    }

    private static async Task PostAsync(HttpContext http, TraceIngestion traces)
    {
        var ct = http.RequestAborted;
        var caller = http.Features.Get<ApiCaller>()!;
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var json = mediaType == Json;
        if (mediaType != Protobuf && !json)
        {
            await Problem(http, StatusCodes.Status415UnsupportedMediaType, json: true,
                "Send OTLP/HTTP as 'Content-Type: application/x-protobuf' or 'application/json'.");
            return;
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = EventsApi.DrainBytes;
        }
        var encoding = http.Request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        if (encoding is not ("" or "identity" or "gzip"))
        {
            await Problem(http, StatusCodes.Status415UnsupportedMediaType, json,
                $"Content-Encoding '{(encoding.Length > 40 ? encoding[..40] : encoding)}' is not accepted; send the body as is or gzip-compressed.");
            return;
        }

        byte[]? body;
        try
        {
            body = http.Request.ContentLength > MaxBodyBytes ? null : await RequestBody.ReadBoundedAsync(http.Request.Body, MaxBodyBytes, ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body = null;
        }
        if (body is null)
        {
            await RequestBody.DrainAsync(http, EventsApi.DrainBytes, ct);
            await Problem(http, StatusCodes.Status413PayloadTooLarge, json,
                $"A request is at most {MaxBodyBytes / (1024 * 1024)} MB; lower the exporter's batch size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).");
            return;
        }
        if (encoding == "gzip")
        {
            try
            {
                await using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
                body = await RequestBody.ReadBoundedAsync(gzip, MaxDecompressedBytes, ct);
            }
            catch (InvalidDataException ex)
            {
                await Problem(http, StatusCodes.Status400BadRequest, json, "The body is not valid gzip: " + ex.Message + " Nothing was stored.");
                return;
            }
            if (body is null)
            {
                await Problem(http, StatusCodes.Status413PayloadTooLarge, json,
                    $"The body expands past {MaxDecompressedBytes / (1024 * 1024)} MB when unzipped; lower the exporter's batch size.");
                return;
            }
        }

        ExportTraceServiceRequest request;
        var refused = new List<string>();
        try
        {
            request = json ? OtlpTraceReader.ReadJson(body, refused) : OtlpTraceReader.ReadProtobuf(body);
        }
        catch (OtlpFormatException ex)
        {
            await Problem(http, StatusCodes.Status400BadRequest, json, ex.Message + " Nothing was stored.");
            return;
        }

        TraceIngestResult result;
        try
        {
            result = await traces.IngestAsync(request, new Submitter(caller.KeyId, caller.Name, caller.MayUse), ct, refused);
        }
        catch (Exception ex) when (ex is IngestionBusyException or TraceStorageBusyException)
        {
            http.Response.Headers.RetryAfter = "2";
            await Problem(http, StatusCodes.Status503ServiceUnavailable, json,
                "Storage is busy; nothing of this request was acknowledged. Send it again: what was stored already is not stored twice.");
            return;
        }

        var response = new ExportTraceServiceResponse();
        if (result.Rejected > 0)
        {
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = result.Rejected, ErrorMessage = result.ErrorMessage };
        }
        else if (result.Unrouted > 0)
        {
            // Accepted, but an operator should know: OTLP allows a warning with rejected_spans = 0.
            response.PartialSuccess = new ExportTracePartialSuccess
            {
                ErrorMessage = $"{result.Unrouted} span(s) belong to traces that name no operating path (set the span or resource attribute opsconsole.path); they were counted, not stored.",
            };
        }
        await Write(http, StatusCodes.Status200OK, json, response);
    }

    private static Task Problem(HttpContext http, int status, bool json, string message)
    {
        // google.rpc.Code of the HTTP status, as the OTLP/HTTP specification maps them.
        var code = status switch
        {
            StatusCodes.Status400BadRequest => 3, // INVALID_ARGUMENT
            StatusCodes.Status413PayloadTooLarge => 8, // RESOURCE_EXHAUSTED
            StatusCodes.Status415UnsupportedMediaType => 3,
            StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
            _ => 2, // UNKNOWN
        };
        return Write(http, status, json, new RpcStatus { Code = code, Message = message });
    }

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    private static async Task Write(HttpContext http, int status, bool json, IMessage message)
    {
        http.Response.StatusCode = status;
        if (json)
        {
            http.Response.ContentType = Json;
            await http.Response.WriteAsync(Formatter.Format(message), http.RequestAborted);
        }
        else
        {
            http.Response.ContentType = Protobuf;
            await http.Response.Body.WriteAsync(message.ToByteArray(), http.RequestAborted);
        }
    }
}
