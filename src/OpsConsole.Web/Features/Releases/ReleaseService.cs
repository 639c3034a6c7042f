using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Releases;

/// <summary>A release as lists show it, with its place on the path.</summary>
public sealed record ReleaseView(PathRelease Release, bool IsStable, bool IsCandidate);

/// <summary>A created (or already existing) release, whether this call made it, and its place on the path now.</summary>
public sealed record ReleaseCreated(PathRelease Release, bool Created, bool BecameStable, bool IsStable, bool IsCandidate);

/// <summary>
/// Creates and lists releases. A release is immutable and identified by its content
/// (<see cref="ReleaseContent"/>): posting the same content again returns the existing one. A
/// path's first release becomes its stable release (the path's config version bumps and decision
/// clients are told); later ones wait to be made candidate. Every new release is audited.
/// </summary>
public sealed class ReleaseService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions,
    IPathConfigPublisher publisher, TimeProvider time)
{
    /// <summary>From the path page: owners of the path and admins.</summary>
    public async Task<CommandResult<ReleaseCreated>> CreateAsync(string slug, ReleaseInput input, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult<ReleaseCreated>.Fail("Only the path's owners and admins can create releases.");
        }
        return await CreateAsync(slug, input, AuditActor.From(user), ct);
    }

    /// <summary>Checks and stores the release; the caller has checked that <paramref name="actor"/> may.</summary>
    public async Task<CommandResult<ReleaseCreated>> CreateAsync(string slug, ReleaseInput input, AuditActor actor, CancellationToken ct)
    {
        var (content, errors) = ReleaseContent.From(slug, input);
        if (content is null)
        {
            return CommandResult<ReleaseCreated>.Invalid(errors);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The audited write serialises writers (across instances too), so the existence check and the
        // insert cannot interleave with another post of the same content.
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult<ReleaseCreated>.Fail($"Path '{slug}' does not exist.");
        }
        if (await db.Releases.AsNoTracking().FirstOrDefaultAsync(r => r.Id == content.Id, ct) is { } existing)
        {
            return CommandResult<ReleaseCreated>.Ok(new ReleaseCreated(existing, false, false,
                path.StableReleaseId == existing.Id, path.CandidateReleaseId == existing.Id));
        }
        var release = new PathRelease
        {
            Id = content.Id,
            PathId = path.Id,
            Model = content.Model,
            PromptVersion = content.PromptVersion,
            PromptTemplateHash = content.PromptTemplateHash,
            ParametersJson = content.ParametersJson,
            ContextJson = content.ContextJson,
            Notes = content.Notes,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            CreatedById = actor.UserId,
            CreatedByName = actor.Name,
        };
        db.Releases.Add(release);
        var becameStable = path.StableReleaseId is null;
        if (becameStable)
        {
            path.StableReleaseId = release.Id;
            path.ConfigVersion++;
            path.UpdatedAt = release.CreatedAt;
        }
        write.Record(actor, "release.create", "release", release.Id, slug, null, new
        {
            release.Model,
            release.PromptVersion,
            release.PromptTemplateHash,
            parameters = release.ParametersJson,
            context = release.ContextJson,
            release.Notes,
            stable = becameStable,
            configVersion = becameStable ? path.ConfigVersion : (long?)null,
        });
        await write.CommitAsync(ct);
        if (becameStable)
        {
            publisher.Publish(slug, path.ConfigVersion);
        }
        return CommandResult<ReleaseCreated>.Ok(new ReleaseCreated(release, true, becameStable, becameStable, false));
    }

    public const int MaxReasonLength = 1000;

    /// <summary>The share a new candidate starts at: 1 % of the units the path is on for (the first canary step).</summary>
    public const int FirstStepShare = 10;

    private static string? CheckReason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? "Give a reason: it goes into the audit log."
        : reason.Trim().Length > MaxReasonLength ? $"The reason is at most {MaxReasonLength:N0} characters." : null;

    /// <summary>
    /// Makes <paramref name="releaseId"/> the candidate at the first step (<see cref="FirstStepShare"/>
    /// per mille). Owners and admins; refused while another candidate is in trial, for the stable
    /// release itself, or for a release of another path.
    /// </summary>
    public async Task<CommandResult> StartCandidateAsync(string slug, string releaseId, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins can start a candidate.");
        }
        return await ChangeAsync(slug, AuditActor.From(user), ct, async (db, path) =>
        {
            if (!await db.Releases.AnyAsync(r => r.Id == releaseId && r.PathId == path.Id, ct))
            {
                return (CommandResult.Invalid("release", $"Path '{slug}' has no release '{releaseId}'."), null);
            }
            if (path.CandidateReleaseId is { } other)
            {
                return (CommandResult.Invalid("release", other == releaseId
                    ? "This release is already the candidate."
                    : $"Release {other[..12]} is the candidate now: roll it back or promote it first."), null);
            }
            if (path.StableReleaseId == releaseId)
            {
                return (CommandResult.Invalid("release", "This is the stable release; a candidate must be another release."), null);
            }
            var before = new { candidate = (string?)null, candidateShare = path.CandidateShare };
            path.CandidateReleaseId = releaseId;
            path.CandidateShare = FirstStepShare;
            return (CommandResult.Ok(), ("release.candidate", releaseId, (object)before, (object)new { candidate = releaseId, candidateShare = FirstStepShare }));
        });
    }

    /// <summary>
    /// Takes the candidate away at once (share 0, no candidate): on-call, owners and admins, with a
    /// reason, like a rollout decrease. The release stays listed.
    /// </summary>
    public async Task<CommandResult> RollBackCandidateAsync(string slug, string? reason, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Contain, slug, ct))
        {
            return CommandResult.Fail("Only the path's on-call person, owners and admins can roll back a candidate.");
        }
        if (CheckReason(reason) is { } problem)
        {
            return CommandResult.Invalid("reason", problem);
        }
        return await RollBackCandidateAsync(slug, reason!.Trim(), AuditActor.From(user), ct);
    }

    /// <summary>The rollback itself, for a person (checked by the caller) or the system (the guarded canary).</summary>
    public Task<CommandResult> RollBackCandidateAsync(string slug, string reason, AuditActor actor, CancellationToken ct) =>
        ChangeAsync(slug, actor, ct, (db, path) =>
        {
            if (path.CandidateReleaseId is not { } candidate)
            {
                return Task.FromResult<(CommandResult, (string, string, object, object)?)>((CommandResult.Fail("There is no candidate to roll back."), null));
            }
            var before = new { candidate, candidateShare = path.CandidateShare };
            path.CandidateReleaseId = null;
            path.CandidateShare = 0;
            return Task.FromResult<(CommandResult, (string, string, object, object)?)>(
                (CommandResult.Ok(), ("release.rollback", candidate, before, new { candidate = (string?)null, candidateShare = 0, reason })));
        });

    /// <summary>
    /// Makes an earlier release of the path stable again, at once: on-call, owners and admins, with a
    /// reason. A candidate in trial is left as it is (it is compared with the new stable from now on).
    /// </summary>
    public async Task<CommandResult> RevertStableAsync(string slug, string releaseId, string? reason, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Contain, slug, ct))
        {
            return CommandResult.Fail("Only the path's on-call person, owners and admins can revert the stable release.");
        }
        if (CheckReason(reason) is { } problem)
        {
            return CommandResult.Invalid("reason", problem);
        }
        return await ChangeAsync(slug, AuditActor.From(user), ct, async (db, path) =>
        {
            if (!await db.Releases.AnyAsync(r => r.Id == releaseId && r.PathId == path.Id, ct))
            {
                return (CommandResult.Invalid("release", $"Path '{slug}' has no release '{releaseId}'."), null);
            }
            if (path.StableReleaseId == releaseId)
            {
                return (CommandResult.Invalid("release", "This release is already the stable one."), null);
            }
            if (path.CandidateReleaseId == releaseId)
            {
                return (CommandResult.Invalid("release", "This release is the candidate: promote it, or roll it back and revert to an earlier one."), null);
            }
            var before = new { stable = path.StableReleaseId };
            path.StableReleaseId = releaseId;
            return (CommandResult.Ok(), ("release.revert", releaseId, (object)before, (object)new { stable = releaseId, reason = reason!.Trim() }));
        });
    }

    /// <summary>
    /// One audited change of a path's releases: <paramref name="change"/> edits the tracked path and
    /// says what to audit; the config version bumps and every instance's decision clients are told.
    /// </summary>
    private async Task<CommandResult> ChangeAsync(string slug, AuditActor actor, CancellationToken ct,
        Func<AppDbContext, OperatingPath, Task<(CommandResult Result, (string Action, string Target, object Before, object After)? Audit)>> change)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.FirstOrDefaultAsync(p => p.Slug == slug, ct);
        if (path is null)
        {
            return CommandResult.Fail($"Path '{slug}' no longer exists.");
        }
        var (result, record) = await change(db, path);
        if (record is not { } r)
        {
            return result;
        }
        path.ConfigVersion++;
        path.UpdatedAt = time.GetUtcNow().UtcDateTime;
        write.Record(actor, r.Action, "release", r.Target, slug, r.Before, r.After);
        await write.CommitAsync(ct);
        publisher.Publish(slug, path.ConfigVersion);
        return result;
    }

    /// <summary>The candidate's share of the path, per mille (0 without a candidate).</summary>
    public async Task<int> CandidateShareAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Paths.Where(p => p.Slug == slug && p.CandidateReleaseId != null).Select(p => p.CandidateShare).FirstOrDefaultAsync(ct);
    }

    /// <summary>The path's releases, newest first; null when the path does not exist.</summary>
    public async Task<IReadOnlyList<ReleaseView>?> ListAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Where(p => p.Slug == slug)
            .Select(p => new { p.Id, p.StableReleaseId, p.CandidateReleaseId }).FirstOrDefaultAsync(ct);
        if (path is null)
        {
            return null;
        }
        var releases = await db.Releases.AsNoTracking().Where(r => r.PathId == path.Id).ToListAsync(ct);
        return releases.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(r => new ReleaseView(r, r.Id == path.StableReleaseId, r.Id == path.CandidateReleaseId)).ToList();
    }
}
