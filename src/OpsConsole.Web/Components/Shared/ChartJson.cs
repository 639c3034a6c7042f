using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpsConsole.Web.Components.Shared;

/// <summary>
/// Chart options as the JSON the browser receives. JSON has no infinity or NaN, and Blazor's
/// interop serialiser throws on them, which failed the whole circuit when one figure overflowed;
/// here a number that is not finite becomes null, which ApexCharts draws as a gap.
/// </summary>
public static class ChartJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // Chart figures are doubles throughout (DashboardCharts, DriftHistoryCharts).
        Converters = { new FiniteDouble() },
    };

    public static JsonElement ToElement(object options) => JsonSerializer.SerializeToElement(options, Options);

    private sealed class FiniteDouble : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
