using System.Collections.ObjectModel;

namespace OpsConsole.Web.Infrastructure;

/// <summary>
/// What became of a command a person asked for: done, or refused with <see cref="Error"/>, a
/// sentence they can read and act on. A refused form names its fields (<see cref="FieldErrors"/>);
/// a refusal because what the person acted on changed meanwhile says so (<see cref="ChangedMeanwhile"/>),
/// since asking again from the same view cannot succeed. Every feature's commands answer with it,
/// so every page shows a refusal the same way.
/// </summary>
public class CommandResult
{
    /// <summary>The key in <see cref="Problems"/> of a refusal that concerns the whole form, not one field.</summary>
    public const string FormKey = "_form";

    private protected static readonly IReadOnlyDictionary<string, string> NoProblems = ReadOnlyDictionary<string, string>.Empty;

    private static readonly CommandResult Done = new(null, NoProblems, false);

    private protected CommandResult(string? error, IReadOnlyDictionary<string, string> fieldErrors, bool changedMeanwhile)
    {
        Error = error;
        FieldErrors = fieldErrors;
        ChangedMeanwhile = changedMeanwhile;
        Problems = fieldErrors.Count > 0 ? fieldErrors
            : error is null ? NoProblems
            : new Dictionary<string, string> { [FormKey] = error };
    }

    public bool Succeeded => Error is null;

    /// <summary>Why it was refused, null when it succeeded; for a form, its field errors in one text.</summary>
    public string? Error { get; }

    /// <summary>Each invalid field (or rule) with what is wrong with it; empty unless the input was refused.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors { get; }

    /// <summary>Nothing was done because the state the person acted on changed meanwhile; <see cref="Error"/> says who and when.</summary>
    public bool ChangedMeanwhile { get; }

    /// <summary>
    /// Every problem for a form to show: the field errors, or a refusal of the whole under
    /// <see cref="FormKey"/>; empty when it succeeded. One instance per result, so a form can tell
    /// a new refusal from the one it already showed.
    /// </summary>
    public IReadOnlyDictionary<string, string> Problems { get; }

    public static CommandResult Ok() => Done;

    public static CommandResult Fail(string error) => new(Reason(error), NoProblems, false);

    public static CommandResult Invalid(string field, string message) => Invalid(new Dictionary<string, string> { [field] = message });

    public static CommandResult Invalid(IReadOnlyDictionary<string, string> fieldErrors)
    {
        var errors = Copy(fieldErrors);
        return new(Summary(errors), errors, false);
    }

    /// <summary>Refused because someone changed what the person saw; the error says who and when.</summary>
    public static CommandResult Outdated(string error) => new(Reason(error), NoProblems, true);

    public override string ToString() => Error ?? "Succeeded";

    private protected static string Reason(string error) =>
        string.IsNullOrWhiteSpace(error) ? throw new ArgumentException("A refusal says why.", nameof(error)) : error;

    private protected static IReadOnlyDictionary<string, string> Copy(IReadOnlyDictionary<string, string> fieldErrors)
    {
        if (fieldErrors.Count == 0 || fieldErrors.Values.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("An invalid input names at least one field, each with what is wrong with it.", nameof(fieldErrors));
        }
        return new Dictionary<string, string>(fieldErrors);
    }

    private protected static string Summary(IReadOnlyDictionary<string, string> fieldErrors) => string.Join(" ", fieldErrors.Values);
}

/// <summary>
/// The result of a command that gives something back: on success its <see cref="Value"/> (the new
/// item's id, a secret shown once); on a refusal, where the command has one, what the refusal rests
/// on (the gates that failed).
/// </summary>
public sealed class CommandResult<T> : CommandResult
{
    private CommandResult(string? error, IReadOnlyDictionary<string, string> fieldErrors, bool changedMeanwhile, T? value)
        : base(error, fieldErrors, changedMeanwhile) => Value = value;

    public T? Value { get; }

    public static CommandResult<T> Ok(T value) => new(null, NoProblems, false, value);

    public static CommandResult<T> Fail(string error, T? value = default) => new(Reason(error), NoProblems, false, value);

    public static new CommandResult<T> Invalid(string field, string message) => Invalid(new Dictionary<string, string> { [field] = message });

    public static new CommandResult<T> Invalid(IReadOnlyDictionary<string, string> fieldErrors)
    {
        var errors = Copy(fieldErrors);
        return new(Summary(errors), errors, false, default);
    }

    public static new CommandResult<T> Outdated(string error) => new(Reason(error), NoProblems, true, default);

    /// <summary>A refusal from a step of this command, passed on as it is; a success cannot be, it has no value.</summary>
    public static CommandResult<T> From(CommandResult refusal) =>
        refusal.Succeeded
            ? throw new ArgumentException("Only a refusal passes on; a success needs its value.", nameof(refusal))
            : new(refusal.Error, refusal.FieldErrors, refusal.ChangedMeanwhile, default);
}

/// <summary>How an API answers a refused <see cref="CommandResult"/>.</summary>
public static class CommandResultProblems
{
    /// <summary>
    /// Field errors → 400 validation problem details; changed meanwhile → 409; a refusal of rights
    /// ("Only …") → 403; a path that no longer exists → 404; any other refusal → 409.
    /// </summary>
    public static IResult ToProblem(this CommandResult result, string title) =>
        result.FieldErrors.Count > 0
            ? Results.ValidationProblem(result.FieldErrors.ToDictionary(kv => kv.Key, kv => new[] { kv.Value }), title: title, detail: result.Error)
            : result.ChangedMeanwhile
                ? Problem(StatusCodes.Status409Conflict, title, result.Error!)
                : result.Error!.StartsWith("Only ", StringComparison.Ordinal)
                    ? Problem(StatusCodes.Status403Forbidden, "Not allowed", result.Error)
                    : result.Error.Contains("no longer exists", StringComparison.Ordinal)
                        ? Problem(StatusCodes.Status404NotFound, "Unknown path", result.Error)
                        : Problem(StatusCodes.Status409Conflict, title, result.Error);

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
