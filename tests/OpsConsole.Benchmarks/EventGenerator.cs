using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OpsConsole.Benchmarks;

/// <summary>One generated inference event, with every value the baseline binds and the app receives.</summary>
public sealed record BenchEvent(
    string EventId,
    DateTime OccurredAt,
    string ModelVersion,
    string PromptVersion,
    string Unit,
    string Input,
    string Output,
    double Confidence,
    double LatencyMs,
    long InputTokens,
    long OutputTokens,
    double CostUsd,
    string Outcome,
    string TraceId,
    string AttributesJson);

/// <summary>
/// Builds realistic invoice-extraction events and their request bodies up front, so neither the
/// baseline nor the HTTP phase measures text generation or JSON serialisation.
/// </summary>
public static class EventGenerator
{
    public const string PathSlug = "invoice-field-extraction";

    // ASCII and Latin-1 names: the texts must contain nothing the app's redaction would mask
    // (no e-mail addresses, no card numbers, no digit runs that look like phone numbers), so the
    // rows the app stores are byte for byte the rows the baseline stores.
    private static readonly string[] _suppliers =
    [
        "Nordlicht Bürobedarf GmbH", "Acme Industrial Supplies Ltd", "Van der Berg Logistiek B.V.", "Papeterie Dufour SARL",
        "Kowalski Elektronik Sp. z o.o.", "Greenfield Office Furniture Inc", "Hansen & Søn Trykkeri A/S", "Müller Maschinenbau KG",
        "Bright Spark Electrical Co", "Rossi Forniture Ufficio S.r.l.", "Blue Harbour Catering Ltd", "Alpenblick Reinigung AG",
    ];
    private static readonly string[] _cities =
        ["Hamburg", "Manchester", "Rotterdam", "Lyon", "Wroclaw", "Denver", "Aarhus", "Stuttgart", "Leeds", "Bologna", "Cork", "Innsbruck"];
    private static readonly string[] _streets =
        ["Hafenstrasse", "King Street", "Havenweg", "Rue de la Paix", "ul. Dluga", "Market Avenue", "Strandvejen", "Lindenallee"];
    private static readonly string[] _items =
        ["A4 copy paper, 80 g, box of 5 reams", "toner cartridge, black, high yield", "ergonomic office chair, grey",
         "monthly cleaning service, 2nd floor", "network switch, 24 ports, managed", "catering for workshop, 25 persons",
         "pallet transport, Rotterdam to Hamburg", "LED panel lights, 60 x 60 cm"];
    private static readonly int[] _vatRates = [19, 20, 21, 7, 0];
    private static readonly int[] _terms = [14, 30, 45, 60];
    private static readonly JsonWriterOptions _writerOptions = new()
    {
        // The bodies go only to the console's API, never into HTML: keep umlauts as UTF-8 like a real sender.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Creates <paramref name="count"/> events, occurring over the last day, oldest first.</summary>
    public static BenchEvent[] Generate(int count, int seed, string prefix = "bench")
    {
        var random = new Random(seed);
        var runTag = random.Next(0x100000, 0xFFFFFF).ToString("x6", CultureInfo.InvariantCulture);
        var newest = DateTime.UtcNow.AddSeconds(-5);
        var span = TimeSpan.FromDays(1);
        var events = new BenchEvent[count];
        for (var i = 0; i < count; i++)
        {
            var occurredAt = newest - span + span * ((i + 1) / (double)count) - TimeSpan.FromMilliseconds(random.Next(0, 2000));
            events[i] = Create(random, $"{prefix}-{runTag}-{i:D7}", occurredAt);
        }
        return events;
    }

    /// <summary>One event with the given id and time; text sizes as in <see cref="Generate"/>.</summary>
    public static BenchEvent Create(Random random, string eventId, DateTime occurredAt)
    {
        var supplier = _suppliers[random.Next(_suppliers.Length)];
        var city = _cities[random.Next(_cities.Length)];
        var street = _streets[random.Next(_streets.Length)];
        var item = _items[random.Next(_items.Length)];
        var invoiceNo = "INV/" + random.Next(10_000, 99_999).ToString(CultureInfo.InvariantCulture);
        var po = "PO/" + random.Next(1_000, 9_999).ToString(CultureInfo.InvariantCulture);
        var issued = occurredAt.Date.AddDays(-random.Next(0, 20));
        var terms = _terms[random.Next(_terms.Length)];
        var due = issued.AddDays(terms);
        var qty = random.Next(1, 40);
        var unitPrice = Math.Round(random.NextDouble() * 900 + 5, 2);
        var net = Math.Round(qty * unitPrice, 2);
        var vatRate = _vatRates[random.Next(_vatRates.Length)];
        var vat = Math.Round(net * vatRate / 100, 2);
        var total = net + vat;
        var tenant = random.Next(1, 60);

        var ci = CultureInfo.InvariantCulture;
        var input = string.Create(ci,
            $"INVOICE {invoiceNo}\nSupplier: {supplier}, {street} {random.Next(1, 200)}, {city}\n" +
            $"Invoice date: {issued:yyyy-MM-dd}; due: {due:yyyy-MM-dd}\nCustomer ref: tenant {tenant}, order {po}\n" +
            $"{qty} x {item} at {unitPrice:0.00} EUR each\nNet {net:0.00} EUR, VAT {vatRate}% {vat:0.00} EUR, total {total:0.00} EUR\n" +
            $"Payment terms: {terms} days net. Please quote the invoice number with your payment.");
        var output = string.Create(ci,
            $"{{\"supplier\":\"{supplier}\",\"invoice_no\":\"{invoiceNo}\",\"issue_date\":\"{issued:yyyy-MM-dd}\",\"due_date\":\"{due:yyyy-MM-dd}\"," +
            $"\"net\":{net:0.00},\"vat_rate\":{vatRate},\"vat\":{vat:0.00},\"total\":{total:0.00},\"currency\":\"EUR\",\"po\":\"{po}\"}}");

        // About 10 % below the path's 0.85 threshold; with 2 % errors and the 2 % QA sample that
        // routes roughly 14 % of the events to review, as on a healthy extraction path.
        var confidence = random.NextDouble() < 0.10
            ? Math.Round(0.55 + random.NextDouble() * 0.29, 3)
            : Math.Round(0.86 + random.NextDouble() * 0.14, 3);
        var inputTokens = random.Next(250, 600);
        var outputTokens = random.Next(60, 180);
        var traceBytes = new byte[16];
        random.NextBytes(traceBytes);
        return new BenchEvent(
            EventId: eventId,
            OccurredAt: DateTime.SpecifyKind(occurredAt, DateTimeKind.Utc),
            ModelVersion: "extractor-v3",
            PromptVersion: "p7",
            Unit: "tenant-" + tenant.ToString(ci),
            Input: input,
            Output: output,
            Confidence: confidence,
            LatencyMs: Math.Round(400 + random.NextDouble() * 2100, 1),
            InputTokens: inputTokens,
            OutputTokens: outputTokens,
            CostUsd: Math.Round(inputTokens * 0.000003 + outputTokens * 0.000015, 6),
            Outcome: random.NextDouble() < 0.02 ? "error" : "ok",
            TraceId: Convert.ToHexStringLower(traceBytes),
            AttributesJson: string.Create(ci, $"{{\"segment\":\"{(tenant % 3 == 0 ? "mid-market" : "smb")}\",\"tenant\":\"t-{tenant}\"}}"));
    }

    /// <summary>The request bodies <c>{"events":[…]}</c> for consecutive slices of <paramref name="batchSize"/> events.</summary>
    public static byte[][] Bodies(IReadOnlyList<BenchEvent> events, int batchSize, string path = PathSlug)
    {
        var bodies = new byte[(events.Count + batchSize - 1) / batchSize][];
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        for (var b = 0; b < bodies.Length; b++)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer, _writerOptions))
            {
                w.WriteStartObject();
                w.WriteStartArray("events");
                for (var i = b * batchSize; i < Math.Min(events.Count, (b + 1) * batchSize); i++)
                {
                    Write(w, events[i], path);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            bodies[b] = buffer.WrittenSpan.ToArray();
        }
        return bodies;
    }

    private static void Write(Utf8JsonWriter w, BenchEvent e, string path)
    {
        w.WriteStartObject();
        w.WriteString("eventId", e.EventId);
        w.WriteString("path", path);
        // "O" keeps all seven fractional digits, so the app parses back exactly the DateTime the baseline binds.
        w.WriteString("occurredAt", e.OccurredAt.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("modelVersion", e.ModelVersion);
        w.WriteString("promptVersion", e.PromptVersion);
        w.WriteString("unit", e.Unit);
        w.WriteString("input", e.Input);
        w.WriteString("output", e.Output);
        w.WriteNumber("confidence", e.Confidence);
        w.WriteNumber("latencyMs", e.LatencyMs);
        w.WriteNumber("inputTokens", e.InputTokens);
        w.WriteNumber("outputTokens", e.OutputTokens);
        w.WriteNumber("costUsd", e.CostUsd);
        w.WriteString("outcome", e.Outcome);
        w.WriteString("traceId", e.TraceId);
        w.WritePropertyName("attributes");
        // Raw, so the app's stored AttributesJson (the element's raw text) equals the baseline's string.
        w.WriteRawValue(e.AttributesJson, skipInputValidation: true);
        w.WriteEndObject();
    }
}
