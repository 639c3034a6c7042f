using Npgsql;
using NpgsqlTypes;

namespace OpsConsole.Web.Infrastructure;

/// <summary>
/// Values as the hand-written PostgreSQL statements of Ingestion and Metrics bind them: arrays for
/// <c>unnest</c>, timestamps as UTC, text without U+0000.
/// </summary>
public static class PostgresValues
{
    /// <summary>
    /// A PostgreSQL text value cannot hold U+0000, which JSON can carry ("\u0000") and SQLite stores.
    /// The raw statements store U+FFFD (the replacement character) in its place: refusing the value
    /// there would fail the whole group commit it sits in, every other request's events with it.
    /// </summary>
    public static string? Text(string? value) =>
        value is null || !value.Contains('\0') ? value : value.Replace('\0', '\uFFFD');

    /// <summary>
    /// timestamptz takes UTC only. Unspecified counts as UTC, as the SQLite statements store it (and
    /// as everything here produces it); local time is converted, as the EF model's converter does.
    /// </summary>
    public static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    /// <summary>An array parameter for <c>unnest($n)</c>, positional and typed (no name lookup, no type inference per call).</summary>
    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) =>
        new NpgsqlParameter<T[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}
