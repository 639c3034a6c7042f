namespace OpsConsole.Web.Components.Shared;

/// <summary>How long something has waited or took, worded the same on every page.</summary>
public static class Durations
{
    /// <summary>How long something has been waiting: "under a minute", "12 min", "1 h 1 min", "2 d 3 h".</summary>
    public static string Age(TimeSpan age) =>
        age.TotalMinutes < 1 ? "under a minute"
        : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min"
        : age.TotalDays < 1 ? $"{(int)age.TotalHours} h {age.Minutes} min"
        : $"{(int)age.TotalDays} d {age.Hours} h";

    /// <summary>How long a step took (time to acknowledge, to resolve): "40 s", "24 min", "1.5 h".</summary>
    public static string Elapsed(TimeSpan t) =>
        t.TotalMinutes < 1 ? $"{t.TotalSeconds:0} s" : t.TotalHours < 1 ? $"{t.TotalMinutes:0} min" : $"{t.TotalHours:0.#} h";
}
