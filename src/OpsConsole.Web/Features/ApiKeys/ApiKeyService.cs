using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Notifications;
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
    /// <summary>When the key stops working (UTC); null for never.</summary>
    public DateTime? ExpiresAt { get; set; }
}

public sealed record ApiKeyView(
    int Id, string Name, string Prefix, IReadOnlyList<string> Scopes, IReadOnlyList<string> PathSlugs, bool AllPaths,
    string CreatedBy, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt, string? RevokedBy, bool IsSystem, bool CanRevoke,
    int? DecisionRequestsPerMinute = null, DateTime? ExpiresAt = null, DateTime? GraceUntil = null,
    int? ReplacedById = null, string? ReplacedByName = null, int? RotatedFromId = null, string? RotatedFromName = null)
{
    /// <summary>Revoke and rotate are offered together: on a live key, not from configuration, not already replaced.</summary>
    public bool CanRotate => CanRevoke && ReplacedById is null;

    /// <summary>Works now, but only until the end of its rotation's grace period.</summary>
    public bool InGrace(DateTime now) => RevokedAt is null && GraceUntil is { } g && now < g;

    /// <summary>Stopped by time (expiry or grace end) though the sweep may not have recorded a revocation yet.</summary>
    public bool Ended(DateTime now) => RevokedAt is null && ((ExpiresAt is { } e && now >= e) || (GraceUntil is { } g && now >= g));

    /// <summary>The moment the key stopped (or stops) by time: its expiry or the end of its grace period, whichever is first.</summary>
    public DateTime? EndedAt => (ExpiresAt, GraceUntil) switch
    {
        (null, null) => null,
        ({ } e, null) => e,
        (null, { } g) => g,
        ({ } e, { } g) => e < g ? e : g,
    };

    /// <summary>Stopped because its rotation's grace period ended (rather than by its expiry).</summary>
    public bool InGraceEnded(DateTime now) => Ended(now) && GraceUntil is { } g && EndedAt == g;

    /// <summary>Expires within <see cref="ApiKeyService.WarningDays"/> days (and has not yet).</summary>
    public bool ExpiresSoon(DateTime now) => RevokedAt is null && ExpiresAt is { } e && now < e && e - now <= TimeSpan.FromDays(ApiKeyService.WarningDays);
}

/// <summary>A key just created: the secret exists only here, once.</summary>
public sealed record ApiKeyCreated(string Secret, ApiKeyView Key);

public sealed class ApiKeyService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions, ApiKeyStore store, ApiKeyChangeNotifier keyChanges, TimeProvider time,
    NotificationNotifier notices, ILogger<ApiKeyService> log)
{
    public const string SecretPrefix = "ocs_";

    /// <summary>The creator is told once when a key enters its last days.</summary>
    public const int WarningDays = 7;

    /// <summary>The longest a key may be given at creation: a key that outlives two years is a key nobody remembers.</summary>
    public const int MaxLifetimeDays = 730;

    public const int DefaultGraceHours = 24;

    /// <summary>The longest grace period: long enough for a weekly deploy, short enough that the old key really goes.</summary>
    public const int MaxGraceHours = 168;

    public const string NameRule = "Give the key a name of 1–100 characters without control or invisible formatting characters, e.g. the service that will use it.";

    public static readonly string ExpiryRule = $"The expiry must be in the future and at most {MaxLifetimeDays} days ahead, or empty for a key that does not expire.";

    public static readonly string GraceRule = $"The grace period must be a whole number of hours from 0 (revoke the old key now) to {MaxGraceHours}.";

    /// <summary>Why a name cannot be stored, or null. Control and format characters (e.g. U+202E) could disguise a key as another in lists and logs.</summary>
    public static string? NameProblem(string name) =>
        name.Length is 0 or > 100 || name.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
            or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator)
            ? NameRule
            : null;

    /// <summary>Why an expiry cannot be stored at <paramref name="now"/>, or null (no expiry is fine).</summary>
    public static string? ExpiryProblem(DateTime? expiresAt, DateTime now) =>
        expiresAt is not { } e || (Utc(e) > now && Utc(e) <= now.AddDays(MaxLifetimeDays)) ? null : ExpiryRule;

    /// <summary>Why a grace period cannot be used, or null.</summary>
    public static string? GraceProblem(double hours) =>
        double.IsFinite(hours) && hours >= 0 && hours <= MaxGraceHours && hours == Math.Floor(hours) ? null : GraceRule;

    private static DateTime Utc(DateTime at) => at.Kind switch
    {
        DateTimeKind.Local => at.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(at, DateTimeKind.Utc),
        _ => at,
    };

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
        var names = keys.ToDictionary(k => k.Id, k => k.Name);
        return keys.Where(k => scope.May(k)).Select(k => View(k, !k.IsSystem && k.RevokedAt is null, names)).ToList();
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
        var now = time.GetUtcNow().UtcDateTime;
        if (NameProblem(name) is { } nameProblem)
        {
            errors[nameof(ApiKeyInput.Name)] = nameProblem;
        }
        if (ExpiryProblem(input.ExpiresAt, now) is { } expiryProblem)
        {
            errors[nameof(ApiKeyInput.ExpiresAt)] = expiryProblem;
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

        var secret = NewSecret();
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
            CreatedAt = now,
            ExpiresAt = input.ExpiresAt is { } e ? Utc(e) : null,
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
        return CommandResult<ApiKeyCreated>.Ok(new ApiKeyCreated(secret, View(key, true, new Dictionary<int, string>())));
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
    /// Replaces a key without downtime: a successor with the same scopes, paths, budget and expiry rule
    /// (the same lifetime from now) is created and its secret returned once; the old key keeps working
    /// for <paramref name="graceHours"/> (0 revokes it now), then stops. Only who may revoke it may rotate it.
    /// </summary>
    public async Task<CommandResult<ApiKeyCreated>> RotateAsync(int id, double graceHours, ClaimsPrincipal actor, CancellationToken ct)
    {
        if (GraceProblem(graceHours) is { } graceProblem)
        {
            return CommandResult<ApiKeyCreated>.Invalid("GraceHours", graceProblem);
        }
        var scope = await ScopeAsync(actor, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Audited writes are serialised (across instances on PostgreSQL), so two rotations of one key cannot both pass these checks.
        await using var write = await audit.BeginAsync(db, ct);
        var old = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct);
        if (old is null || scope is null || !scope.May(old))
        {
            return CommandResult<ApiKeyCreated>.Fail("That key does not exist or is not yours to rotate.");
        }
        if (old.IsSystem)
        {
            return CommandResult<ApiKeyCreated>.Fail("The demo key comes from configuration (OpsConsole:Demo:ApiKey); change the setting to replace it.");
        }
        if (old.RevokedAt is not null)
        {
            return CommandResult<ApiKeyCreated>.Fail($"This key was revoked by {old.RevokedByName}; create a new key instead.");
        }
        if (old.ReplacedById is { } successorId)
        {
            var successor = await db.ApiKeys.Where(k => k.Id == successorId).Select(k => k.Name).FirstOrDefaultAsync(ct);
            return CommandResult<ApiKeyCreated>.Fail($"This key was already rotated; its successor is “{successor}”.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var before = Snapshot(old);
        var secret = NewSecret();
        const string suffix = " (rotated)";
        var baseName = old.Name.EndsWith(suffix, StringComparison.Ordinal) ? old.Name[..^suffix.Length] : old.Name;
        var key = new ApiKey
        {
            Name = (baseName.Length + suffix.Length > 100 ? baseName[..(100 - suffix.Length)] : baseName) + suffix,
            Prefix = secret[..12],
            Hash = ApiKeyStore.Hash(secret),
            Scopes = [.. old.Scopes],
            PathSlugs = [.. old.PathSlugs],
            AllPaths = old.AllPaths,
            DecisionRequestsPerMinute = old.DecisionRequestsPerMinute,
            CreatedById = actor.UserId(),
            CreatedByName = actor.Identity?.Name ?? "",
            CreatedAt = now,
            // The expiry rule goes with the key: a key made to last 90 days is replaced by one that lasts 90 days.
            ExpiresAt = old.ExpiresAt is { } e ? now + (e - old.CreatedAt) : null,
            RotatedFromId = old.Id,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        old.ReplacedById = key.Id;
        var ended = old.EndsAt is { } end && end <= now;
        if (graceHours == 0 || ended)
        {
            old.RevokedAt = now;
            old.RevokedByName = actor.Identity?.Name ?? "";
        }
        else
        {
            old.GraceUntil = now.AddHours(graceHours);
        }
        var slug = key.PathSlugs.Count == 1 ? key.PathSlugs[0] : null;
        write.Record(AuditActor.From(actor), "apikey.rotate", "apikey", old.Id.ToString(), slug, before, new { successor = key.Id, graceHours, old.GraceUntil, old.RevokedAt });
        write.Record(AuditActor.From(actor), "apikey.create", "apikey", key.Id.ToString(), slug, null, Snapshot(key));
        await write.CommitAsync(ct);
        store.Forget(old.Hash);
        keyChanges.Publish(old.Id);
        var names = new Dictionary<int, string> { [old.Id] = old.Name, [key.Id] = key.Name };
        return CommandResult<ApiKeyCreated>.Ok(new ApiKeyCreated(secret, View(key, true, names)));
    }

    /// <summary>
    /// The sweep (a recurring job): records the revocation of keys whose grace period ended (they
    /// were refused from that moment already), and tells each creator once when a key of theirs enters
    /// its last <see cref="WarningDays"/> days. Returns (revoked, warned).
    /// </summary>
    public async Task<(int Revoked, int Warned)> SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await RevokeEndedGracePeriodsAsync(now, ct);

        var warnFrom = now.AddDays(WarningDays);
        var told = new List<string>();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var candidates = await db.ApiKeys.AsNoTracking()
                .Where(k => k.RevokedAt == null && k.ReplacedById == null && k.ExpiryWarnedAt == null && k.CreatedById != null
                    && k.ExpiresAt != null && k.ExpiresAt > now && k.ExpiresAt <= warnFrom)
                .Select(k => new { k.Id, k.Name, k.CreatedById, k.ExpiresAt }).ToListAsync(ct);
            foreach (var k in candidates)
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                // Claimed by a conditional update, so two instances sweeping together send one notice.
                if (await db.ApiKeys.Where(x => x.Id == k.Id && x.ExpiryWarnedAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiryWarnedAt, now), ct) == 0)
                {
                    continue;
                }
                var at = k.ExpiresAt!.Value.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
                db.Notifications.Add(new Notification
                {
                    UserId = k.CreatedById!,
                    Kind = NotificationKinds.KeyExpiry,
                    Title = $"API key “{k.Name}” expires at {at} UTC: rotate it on the Keys page",
                    Link = "/keys",
                    CreatedAt = now,
                });
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                db.ChangeTracker.Clear();
                told.Add(k.CreatedById!);
            }
        }
        notices.Publish(told);
        if (revoked > 0 || told.Count > 0)
        {
            log.LogInformation("API key sweep: {Revoked} key(s) revoked after their grace period, {Warned} expiry warning(s) sent", revoked, told.Count);
        }
        return (revoked, told.Count);
    }

    /// <summary>Records the revocation of rotated keys whose grace period ended; returns how many.</summary>
    private async Task<int> RevokeEndedGracePeriodsAsync(DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Most runs find nothing: the audit chain's lock is taken only when a key is due, and the keys
        // are read again under it, so two instances sweeping together record each revocation once.
        var ended = db.ApiKeys.Where(k => k.RevokedAt == null && k.GraceUntil != null && k.GraceUntil <= now);
        if (!await ended.AnyAsync(ct))
        {
            return 0;
        }
        await using var write = await audit.BeginAsync(db, ct);
        var due = await ended.ToListAsync(ct);
        foreach (var key in due)
        {
            var before = Snapshot(key);
            key.RevokedAt = key.GraceUntil;
            key.RevokedByName = "system (grace period ended)";
            write.Record(AuditActor.System, "apikey.revoke", "apikey", key.Id.ToString(), key.PathSlugs.Count == 1 ? key.PathSlugs[0] : null, before, Snapshot(key));
        }
        await write.CommitAsync(ct);
        foreach (var key in due)
        {
            store.Forget(key.Hash);
            keyChanges.Publish(key.Id);
        }
        return due.Count;
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
        k.ExpiresAt,
        k.RotatedFromId,
        k.ReplacedById,
        k.GraceUntil,
        k.RevokedAt,
        revokedBy = k.RevokedByName,
    };

    private static ApiKeyView View(ApiKey k, bool canRevoke, IReadOnlyDictionary<int, string> names) => new(
        k.Id, k.Name, k.Prefix, k.Scopes, k.PathSlugs, k.AllPaths, k.CreatedByName, k.CreatedAt, k.LastUsedAt, k.RevokedAt, k.RevokedByName, k.IsSystem, canRevoke,
        k.DecisionRequestsPerMinute, k.ExpiresAt, k.GraceUntil,
        k.ReplacedById, k.ReplacedById is { } r ? names.GetValueOrDefault(r) : null, k.RotatedFromId, k.RotatedFromId is { } f ? names.GetValueOrDefault(f) : null);

    private static string NewSecret() => SecretPrefix + Base62(RandomNumberGenerator.GetBytes(30));

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
