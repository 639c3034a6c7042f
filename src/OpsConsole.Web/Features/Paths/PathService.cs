using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Paths;

public sealed record PathSummary(
    string Slug, string Name, string Description, IReadOnlyList<string> Owners, string? OnCall,
    int ReviewerCount, bool KillSwitchOn, int RolloutPercent, double ConfidenceThreshold)
{
    public int Id { get; init; }
    public FallbackMode FallbackMode { get; init; }
    /// <summary>When the kill switch last flipped: a flip from the overview is made only from this state.</summary>
    public DateTime? KillSwitchAt { get; init; }
}

public sealed record UserOption(string Id, string Email, string DisplayName, IReadOnlyList<string> Roles)
{
    public string Display => string.IsNullOrWhiteSpace(DisplayName) ? Email : $"{DisplayName} <{Email}>";
}

/// <summary>
/// A path's settings and state as its pages show them, and what the edit form starts from. The
/// nested settings are the path's own value objects; of the webhook secret only whether one is set.
/// </summary>
public sealed record OperatingPathView
{
    public int Id { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public string? OnCallUserId { get; init; }
    public IReadOnlyList<string> OwnerIds { get; init; } = [];
    public IReadOnlyList<string> ReviewerIds { get; init; } = [];
    public double ConfidenceThreshold { get; init; }
    public double QaSampleRate { get; init; }
    public int ReviewSlaMinutes { get; init; }
    public int ReviewersPerItem { get; init; }
    public string ReviewGuidance { get; init; } = "";
    public FallbackMode FallbackMode { get; init; }
    public PathSlo Slo { get; init; } = new();
    public PathBoundaries Boundaries { get; init; } = new();
    public IReadOnlyList<ContextSource> ContextSources { get; init; } = [];
    public RolloutGates Gates { get; init; } = new();
    public DriftPolicy Drift { get; init; } = new();
    public string? WebhookUrl { get; init; }
    public bool HasWebhookSecret { get; init; }
    public IReadOnlyList<string> ReasonTags { get; init; } = [];
    public string? BreakdownAttribute { get; init; }
    public PathRedaction Redaction { get; init; } = new();
    public bool KillSwitchOn { get; init; }
    public int RolloutPercent { get; init; }
    /// <summary>The version an edit is saved against (see <see cref="PathService.UpdateAsync"/>).</summary>
    public DateTime UpdatedAt { get; init; }

    /// <summary>From a path read without tracking: its value objects are not shared with anything else.</summary>
    public static OperatingPathView From(OperatingPath p) => new()
    {
        Id = p.Id,
        Slug = p.Slug,
        Name = p.Name,
        Description = p.Description,
        OnCallUserId = p.OnCallUserId,
        OwnerIds = [.. p.Members.Where(m => m.Kind == PathMemberKind.Owner).Select(m => m.UserId)],
        ReviewerIds = [.. p.Members.Where(m => m.Kind == PathMemberKind.Reviewer).Select(m => m.UserId)],
        ConfidenceThreshold = p.ConfidenceThreshold,
        QaSampleRate = p.QaSampleRate,
        ReviewSlaMinutes = p.ReviewSlaMinutes,
        ReviewersPerItem = p.ReviewersPerItem,
        ReviewGuidance = p.ReviewGuidance,
        FallbackMode = p.FallbackMode,
        Slo = p.Slo,
        Boundaries = p.Boundaries,
        ContextSources = p.ContextSources,
        Gates = p.Gates,
        Drift = p.Drift,
        WebhookUrl = p.WebhookUrl,
        HasWebhookSecret = !string.IsNullOrEmpty(p.WebhookSecret),
        ReasonTags = p.ReasonTags,
        BreakdownAttribute = p.BreakdownAttribute,
        Redaction = p.Redaction,
        KillSwitchOn = p.KillSwitchOn,
        RolloutPercent = p.RolloutPercent,
        UpdatedAt = p.UpdatedAt,
    };
}

public sealed record PathDetail(OperatingPathView Path, IReadOnlyDictionary<string, UserOption> Users)
{
    public IEnumerable<UserOption> Owners => Members(Path.OwnerIds);
    public IEnumerable<UserOption> Reviewers => Members(Path.ReviewerIds);
    public UserOption? OnCall => Path.OnCallUserId is { } id && Users.TryGetValue(id, out var u) ? u : null;

    private IEnumerable<UserOption> Members(IEnumerable<string> userIds) =>
        userIds.Select(id => Users.GetValueOrDefault(id)).OfType<UserOption>().OrderBy(u => u.Email);
}

public sealed class PathService(
    IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions, PathCatalog catalog, IPathConfigPublisher configChanges, IEnumerable<IPathSavedHandler> savedHandlers, IEnumerable<IPathBreakdownHandler> breakdownHandlers, TimeProvider time,
    WebhookSecrets webhookSecrets)
{
    public async Task<IReadOnlyList<PathSummary>> ListAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var visible = await permissions.SlugsAsync(user, PathAction.View, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Paths.AsNoTracking();
        if (visible is not null)
        {
            q = q.Where(p => visible.Contains(p.Slug));
        }
        var rows = await q.OrderBy(p => p.Slug).Select(p => new
        {
            p.Id,
            p.Slug,
            p.Name,
            p.Description,
            p.OnCallUserId,
            p.KillSwitchOn,
            p.KillSwitchAt,
            p.RolloutPercent,
            p.ConfidenceThreshold,
            p.FallbackMode,
            Members = p.Members.Select(m => new { m.UserId, m.Kind }).ToList(),
        }).ToListAsync(ct);
        var users = await UserMapAsync(db, ct);
        return rows.Select(r => new PathSummary(
            r.Slug, r.Name, r.Description,
            r.Members.Where(m => m.Kind == PathMemberKind.Owner).Select(m => users.GetValueOrDefault(m.UserId)?.Email ?? "?").Order().ToList(),
            r.OnCallUserId is null ? null : users.GetValueOrDefault(r.OnCallUserId)?.Email,
            r.Members.Count(m => m.Kind == PathMemberKind.Reviewer),
            r.KillSwitchOn, r.RolloutPercent, r.ConfidenceThreshold)
        {
            Id = r.Id,
            FallbackMode = r.FallbackMode,
            KillSwitchAt = r.KillSwitchAt,
        }).ToList();
    }

    public async Task<PathDetail?> GetAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Include(p => p.Members).FirstOrDefaultAsync(p => p.Slug == slug, ct);
        return path is null ? null : new PathDetail(OperatingPathView.From(path), await UserMapAsync(db, ct));
    }

    public async Task<IReadOnlyList<UserOption>> UserOptionsAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await UserMapAsync(db, ct)).Values.OrderBy(u => u.Email).ToList();
    }

    public async Task<CommandResult> CreateAsync(PathInput input, ClaimsPrincipal actor, CancellationToken ct)
    {
        if (!Permissions.May(actor, ConsoleAction.Administer))
        {
            return CommandResult.Fail("Only an Admin can create a path.");
        }
        var errors = PathValidator.Validate(input, isNew: true);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = await UserMapAsync(db, ct);
        CheckPeople(input, users, errors);
        if (errors.Count == 0 && await db.Paths.AnyAsync(p => p.Slug == input.Slug, ct))
        {
            errors[nameof(PathInput.Slug)] = $"A path with slug '{input.Slug}' already exists.";
        }
        if (errors.Count > 0)
        {
            return CommandResult.Invalid(errors);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var path = new OperatingPath { Slug = input.Slug, CreatedAt = now, UpdatedAt = now };
        input.ApplyTo(path);
        ProtectWebhookSecret(path);
        await using var write = await audit.BeginAsync(db, ct);
        db.Paths.Add(path);
        write.Record(AuditActor.From(actor), "path.create", "path", path.Slug, path.Slug, null, Snapshot(path, users));
        try
        {
            await write.CommitAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two admins creating the same slug at once: the unique index decides, the loser hears why.
            if (await SlugTakenAsync(input.Slug, ct))
            {
                return CommandResult.Invalid(nameof(PathInput.Slug), $"A path with slug '{input.Slug}' already exists.");
            }
            throw;
        }
        catalog.Invalidate();
        Saved(path);
        return CommandResult.Ok();
    }

    /// <summary>
    /// Saves new settings. <paramref name="expectedUpdatedAt"/> is the version the editor loaded:
    /// a save over someone else's newer change is refused rather than silently overwriting it.
    /// </summary>
    public async Task<CommandResult> UpdateAsync(string slug, PathInput input, DateTime expectedUpdatedAt, ClaimsPrincipal actor, CancellationToken ct)
    {
        if (!await CanEditAsync(actor, slug, ct))
        {
            return CommandResult.Fail("Only an Admin or an owner of this path can change its settings.");
        }
        var errors = PathValidator.Validate(input, isNew: false);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = await UserMapAsync(db, ct);
        CheckPeople(input, users, errors);
        if (errors.Count > 0)
        {
            return CommandResult.Invalid(errors);
        }

        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.Include(p => p.Members).FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult.Fail($"Path '{slug}' no longer exists.");
        }
        if (path.UpdatedAt != expectedUpdatedAt)
        {
            return CommandResult.Outdated("Someone else saved this path after you opened it. Reload to see their change, then edit again.");
        }
        if (!string.IsNullOrWhiteSpace(input.WebhookUrl) && string.IsNullOrEmpty(input.WebhookSecret) && string.IsNullOrEmpty(path.WebhookSecret))
        {
            return CommandResult.Invalid(nameof(PathInput.WebhookSecret), PathValidator.WebhookSecretMessage);
        }
        // ApplyTo gives the path new nested objects, so this snapshot keeps the values from before.
        var before = Snapshot(path, users);
        input.Slug = path.Slug;
        if (path.BreakdownAttribute != NullIfEmpty(input.BreakdownAttribute))
        {
            // Segment buckets hold values of the old attribute; the new breakdown starts from now
            // (rebuild-rollups recomputes it over the stored events).
            foreach (var handler in breakdownHandlers)
            {
                await handler.OnBreakdownChangedAsync(db, path.Id, ct);
            }
        }
        // The fallback is part of every decision answer: changing it is a new config version.
        var decisionChanged = path.FallbackMode != input.FallbackMode;
        if (decisionChanged)
        {
            path.ConfigVersion++;
        }
        input.ApplyTo(path);
        ProtectWebhookSecret(path);
        path.UpdatedAt = time.GetUtcNow().UtcDateTime;
        write.Record(AuditActor.From(actor), "path.update", "path", slug, slug, before, Snapshot(path, users));
        await write.CommitAsync(ct);
        catalog.Invalidate();
        Saved(path);
        if (decisionChanged)
        {
            configChanges.Publish(slug, path.ConfigVersion);
        }
        return CommandResult.Ok();
    }

    // The form carries a new secret in plain text; only its encryption is stored (a legacy plain one is encrypted on this save too).
    private void ProtectWebhookSecret(OperatingPath path)
    {
        if (path.WebhookSecret is { } secret && !Infrastructure.Security.SecretProtector.IsProtected(secret))
        {
            path.WebhookSecret = webhookSecrets.Protect(secret);
        }
    }

    public Task<bool> CanEditAsync(ClaimsPrincipal user, string slug, CancellationToken ct) =>
        permissions.MayAsync(user, PathAction.Edit, slug, ct);

    private async Task<bool> SlugTakenAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Paths.AnyAsync(p => p.Slug == slug, ct);
    }

    private static void CheckPeople(PathInput input, IReadOnlyDictionary<string, UserOption> users, Dictionary<string, string> errors)
    {
        bool Has(string id, PathDuty duty) => users.TryGetValue(id, out var u) && Permissions.MayHold(u.Roles, duty);
        if (input.OwnerIds.Any(id => !Has(id, PathDuty.Owner)))
        {
            errors.TryAdd(nameof(PathInput.OwnerIds), "Owners must be users with the PathOwner role.");
        }
        if (input.ReviewerIds.Any(id => !Has(id, PathDuty.Reviewer)))
        {
            errors.TryAdd(nameof(PathInput.ReviewerIds), "Assigned reviewers must be users with the Reviewer (or PathOwner) role.");
        }
        if (input.OnCallUserId is { } onCall && !Has(onCall, PathDuty.OnCall))
        {
            errors.TryAdd(nameof(PathInput.OnCallUserId), "The on-call user must have the OnCall (or PathOwner) role.");
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>The audit form of a path's settings: people by e-mail, so the log reads without lookups.</summary>
    /// <remarks>Taken from the stored path, so the log holds stored values (fractions), not the form's text.</remarks>
    private static object Snapshot(OperatingPath p, IReadOnlyDictionary<string, UserOption> users)
    {
        string Email(string id) => users.GetValueOrDefault(id)?.Email ?? id;
        List<string> Members(PathMemberKind kind) => p.Members.Where(m => m.Kind == kind).Select(m => Email(m.UserId)).Order().ToList();
        return new
        {
            p.Slug,
            p.Name,
            p.Description,
            Owners = Members(PathMemberKind.Owner),
            OnCall = p.OnCallUserId is null ? null : Email(p.OnCallUserId),
            Reviewers = Members(PathMemberKind.Reviewer),
            p.ConfidenceThreshold,
            p.QaSampleRate,
            p.ReviewSlaMinutes,
            p.ReviewersPerItem,
            p.ReviewGuidance,
            p.FallbackMode,
            p.Slo,
            p.Boundaries,
            p.ContextSources,
            p.Gates,
            p.ReasonTags,
            p.Redaction,
            p.BreakdownAttribute,
            p.Drift,
            // The secret itself never goes into the audit log.
            p.WebhookUrl,
            WebhookSecretSet = p.WebhookSecret is not null,
        };
    }

    private static async Task<IReadOnlyDictionary<string, UserOption>> UserMapAsync(AppDbContext db, CancellationToken ct)
    {
        var users = await db.Users.AsNoTracking().Where(u => !u.IsSystem)
            .Select(u => new { u.Id, u.Email, u.DisplayName }).ToListAsync(ct);
        var roles = await db.UserRoles.Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name }).ToListAsync(ct);
        var byUser = roles.ToLookup(r => r.UserId, r => r.Name!);
        return users.ToDictionary(u => u.Id, u => new UserOption(u.Id, u.Email ?? "", u.DisplayName, byUser[u.Id].Order().ToList()));
    }

    private void Saved(OperatingPath path)
    {
        foreach (var handler in savedHandlers)
        {
            handler.OnSaved(path);
        }
    }
}
