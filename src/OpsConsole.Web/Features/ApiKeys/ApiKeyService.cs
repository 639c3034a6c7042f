using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.ApiKeys;

public sealed class ApiKeyInput
{
    public string Name { get; set; } = "";
    public HashSet<string> Scopes { get; set; } = [ApiScopes.EventsWrite];
    public HashSet<string> PathSlugs { get; set; } = [];
    public bool AllPaths { get; set; }
    /// <summary>Decision API requests per minute; null for no budget.</summary>
    public int? DecisionRequestsPerMinute { get; set; }
}

public sealed record ApiKeyView(
    int Id, string Name, string Prefix, IReadOnlyList<string> Scopes, IReadOnlyList<string> PathSlugs, bool AllPaths,
    string CreatedBy, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt, string? RevokedBy, bool IsSystem, bool CanRevoke,
    int? DecisionRequestsPerMinute = null);

/// <summary>A key just created: the secret exists only here, once.</summary>
public sealed record ApiKeyCreated(string Secret, ApiKeyView Key);

public sealed class ApiKeyService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions, ApiKeyStore store, ApiKeyChangeNotifier keyChanges, TimeProvider time)
{
    public const string SecretPrefix = "ocs_";

    /// <summary>Keys the user may see: admins all of them, owners those limited to paths they own.</summary>
    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var scope = await ScopeAsync(user, ct);
        if (scope is null)
        {
            return [];
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.RevokedAt != null).ThenByDescending(k => k.CreatedAt).ToListAsync(ct);
        return keys.Where(k => scope.May(k)).Select(k => View(k, !k.IsSystem && k.RevokedAt is null)).ToList();
    }

    /// <summary>The paths the user may put on a key; null when the user may not create keys.</summary>
    public async Task<IReadOnlyList<string>?> AssignablePathsAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var scope = await ScopeAsync(user, ct);
        if (scope is null)
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var all = await db.Paths.AsNoTracking().OrderBy(p => p.Slug).Select(p => p.Slug).ToListAsync(ct);
        return scope.IsAdmin ? all : all.Where(scope.Owned.Contains).ToList();
    }

    public async Task<CommandResult<ApiKeyCreated>> CreateAsync(ApiKeyInput input, ClaimsPrincipal actor, CancellationToken ct)
    {
        var scope = await ScopeAsync(actor, ct);
        if (scope is null)
        {
            return CommandResult<ApiKeyCreated>.Fail("Only an Admin or a PathOwner can create API keys.");
        }
        var errors = new Dictionary<string, string>();
        var name = input.Name.Trim();
        if (name.Length is 0 or > 100)
        {
            errors[nameof(ApiKeyInput.Name)] = "Give the key a name of 1–100 characters, e.g. the service that will use it.";
        }
        if (input.Scopes.Count == 0 || input.Scopes.Any(s => !ApiScopes.All.Contains(s)))
        {
            errors[nameof(ApiKeyInput.Scopes)] = "Choose at least one scope: " + string.Join(", ", ApiScopes.All) + ".";
        }
        var assignable = (await AssignablePathsAsync(actor, ct))!;
        if (input.AllPaths && !scope.IsAdmin)
        {
            errors[nameof(ApiKeyInput.PathSlugs)] = "Only an Admin can create a key for every path.";
        }
        else if (!input.AllPaths && input.PathSlugs.Count == 0)
        {
            errors[nameof(ApiKeyInput.PathSlugs)] = "Choose the paths this key may act on.";
        }
        else if (!input.AllPaths && input.PathSlugs.FirstOrDefault(s => !assignable.Contains(s)) is { } refused)
        {
            errors[nameof(ApiKeyInput.PathSlugs)] = $"You cannot put path '{refused}' on a key: it does not exist or you do not own it.";
        }
        if (BudgetProblem(input.DecisionRequestsPerMinute) is { } budgetProblem)
        {
            errors[nameof(ApiKeyInput.DecisionRequestsPerMinute)] = budgetProblem;
        }
        if (errors.Count > 0)
        {
            return CommandResult<ApiKeyCreated>.Invalid(errors);
        }

        var secret = SecretPrefix + Base62(RandomNumberGenerator.GetBytes(30));
        var key = new ApiKey
        {
            Name = name,
            Prefix = secret[..12],
            Hash = ApiKeyStore.Hash(secret),
            Scopes = ApiScopes.All.Where(input.Scopes.Contains).ToList(),
            PathSlugs = input.AllPaths ? [] : input.PathSlugs.Order(StringComparer.Ordinal).ToList(),
            AllPaths = input.AllPaths,
            DecisionRequestsPerMinute = input.DecisionRequestsPerMinute,
            CreatedById = actor.UserId(),
            CreatedByName = actor.Identity?.Name ?? "",
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using (var write = await audit.BeginAsync(db, ct))
        {
            db.ApiKeys.Add(key);
            await db.SaveChangesAsync(ct);
            write.Record(AuditActor.From(actor), "apikey.create", "apikey", key.Id.ToString(), key.PathSlugs.Count == 1 ? key.PathSlugs[0] : null,
                null, Snapshot(key));
            await write.CommitAsync(ct);
        }
        return CommandResult<ApiKeyCreated>.Ok(new ApiKeyCreated(secret, View(key, true)));
    }

    public async Task<CommandResult> RevokeAsync(int id, ClaimsPrincipal actor, CancellationToken ct)
    {
        var scope = await ScopeAsync(actor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct);
        if (key is null || scope is null || !scope.May(key))
        {
            return CommandResult.Fail("That key does not exist or is not yours to revoke.");
        }
        if (key.IsSystem)
        {
            return CommandResult.Fail("The demo key comes from configuration (OpsConsole:Demo:ApiKey); switch the demo off to remove it.");
        }
        if (key.RevokedAt is not null)
        {
            return CommandResult.Fail($"This key was already revoked by {key.RevokedByName}.");
        }
        var before = Snapshot(key);
        key.RevokedAt = time.GetUtcNow().UtcDateTime;
        key.RevokedByName = actor.Identity?.Name ?? "";
        write.Record(AuditActor.From(actor), "apikey.revoke", "apikey", key.Id.ToString(), key.PathSlugs.Count == 1 ? key.PathSlugs[0] : null,
            before, Snapshot(key));
        await write.CommitAsync(ct);
        store.Forget(key.Hash);
        keyChanges.Publish(key.Id);
        return CommandResult.Ok();
    }

    /// <summary>
    /// Makes the configured demo key valid for every scope on the given paths. A changed setting
    /// replaces the stored hash; the old secret stops working.
    /// </summary>
    public async Task EnsureSystemKeyAsync(string name, string secret, IReadOnlyList<string> pathSlugs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = ApiKeyStore.Hash(secret);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.IsSystem && k.Name == name, ct);
        if (key is not null && key.Hash == hash && key.PathSlugs.SequenceEqual(pathSlugs) && key.RevokedAt is null)
        {
            return;
        }
        await using var write = await audit.BeginAsync(db, ct);
        var before = key is null ? null : Snapshot(key);
        if (key is null)
        {
            key = new ApiKey { Name = name, IsSystem = true, CreatedByName = "system", CreatedAt = time.GetUtcNow().UtcDateTime };
            db.ApiKeys.Add(key);
        }
        else
        {
            store.Forget(key.Hash);
        }
        key.Hash = hash;
        key.Prefix = secret[..Math.Min(12, secret.Length)];
        key.Scopes = [.. ApiScopes.All];
        key.PathSlugs = [.. pathSlugs];
        key.RevokedAt = null;
        key.RevokedByName = null;
        await db.SaveChangesAsync(ct);
        write.Record(AuditActor.System, before is null ? "apikey.create" : "apikey.update", "apikey", key.Id.ToString(), null, before, Snapshot(key));
        await write.CommitAsync(ct);
        if (before is not null)
        {
            keyChanges.Publish(key.Id);
        }
    }

    public static readonly string BudgetRule = string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Decision requests per minute must be a whole number from 1 to {ApiKey.MaxDecisionRequestsPerMinute:N0}, or empty for no budget.");

    /// <summary>Why a budget cannot be stored, or null when it can (no budget is fine).</summary>
    public static string? BudgetProblem(long? perMinute) =>
        perMinute is null or (>= 1 and <= ApiKey.MaxDecisionRequestsPerMinute) ? null : BudgetRule;

    private sealed record KeyScope(bool IsAdmin, HashSet<string> Owned)
    {
        public bool May(ApiKey k) => IsAdmin || (!k.AllPaths && k.PathSlugs.Count > 0 && k.PathSlugs.All(Owned.Contains));
    }

    private async Task<KeyScope?> ScopeAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        if (!Permissions.MayOnSomePath(user, PathAction.ManageKeys))
        {
            return null;
        }
        return await permissions.SlugsAsync(user, PathAction.ManageKeys, ct) is { } owned ? new KeyScope(false, owned) : new KeyScope(true, []);
    }

    private static object Snapshot(ApiKey k) => new
    {
        k.Name,
        k.Prefix,
        k.Scopes,
        k.PathSlugs,
        k.AllPaths,
        k.DecisionRequestsPerMinute,
        k.RevokedAt,
        revokedBy = k.RevokedByName,
    };

    private static ApiKeyView View(ApiKey k, bool canRevoke) => new(
        k.Id, k.Name, k.Prefix, k.Scopes, k.PathSlugs, k.AllPaths, k.CreatedByName, k.CreatedAt, k.LastUsedAt, k.RevokedAt, k.RevokedByName, k.IsSystem, canRevoke,
        k.DecisionRequestsPerMinute);

    private static string Base62(byte[] bytes)
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var n = new System.Numerics.BigInteger(bytes, isUnsigned: true);
        var chars = new List<char>();
        while (n > 0)
        {
            chars.Add(alphabet[(int)(n % 62)]);
            n /= 62;
        }
        while (chars.Count < 40)
        {
            chars.Add('0');
        }
        chars.Reverse();
        return new string([.. chars]);
    }
}
