using System.Buffers;

namespace OpsConsole.Web.Infrastructure;

/// <summary>Reading request bodies of the ingestion endpoints within their size limits.</summary>
public static class RequestBody
{
    /// <summary>
    /// Reads what is left of a too-large body (up to <paramref name="drainBytes"/>) and throws it
    /// away, so the client hears the 413: a server that answers before the body is in and then closes
    /// the connection leaves most clients with a reset while they are still sending, and no answer
    /// at all. Past the limit the connection is closed after the answer.
    /// </summary>
    public static async Task DrainAsync(HttpContext http, long drainBytes, CancellationToken ct)
    {
        if (http.Request.ContentLength is > 0 and var length && length > drainBytes)
        {
            return;
        }
        var scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await http.Request.Body.ReadAsync(scratch, ct) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Over the drain limit too: the answer still goes out, then Kestrel closes the connection.
        }
        catch (IOException)
        {
            // The client gave up sending; the answer goes out if it still can.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end into a new array, or returns null as soon as it
    /// holds more than <paramref name="max"/> bytes (the rest is not read).
    /// </summary>
    public static async Task<byte[]?> ReadBoundedAsync(Stream stream, int max, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, max + 1L));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length - length, max + 1 - length)), ct);
                if (read == 0)
                {
                    return buffer.AsSpan(0, length).ToArray();
                }
                length += read;
                if (length > max)
                {
                    return null;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads a small JSON body of an API that people and scripts call: 415 without a JSON content
    /// type, 413 above <paramref name="maxBytes"/>, 400 (with the reader's message) for anything that
    /// is not one <typeparamref name="T"/>, including text that is not valid UTF-16 (an escaped lone surrogate).
    /// </summary>
    public static async Task<(T? Body, IResult? Problem)> ReadJsonAsync<T>(HttpContext http, int maxBytes, System.Text.Json.JsonSerializerOptions options, CancellationToken ct) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Send 'Content-Type: application/json'."));
        }
        if (http.Request.ContentLength > maxBytes)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is at most {maxBytes / 1024} KB."));
        }
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }
        try
        {
            var body = await System.Text.Json.JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, ct);
            return body is null ? (null, Problem(StatusCodes.Status400BadRequest, "Invalid body", "The body is null; send an object.")) : (body, null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is at most {maxBytes / 1024} KB."));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "Invalid body", "The body is not valid: " + ex.Message));
        }
    }

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
