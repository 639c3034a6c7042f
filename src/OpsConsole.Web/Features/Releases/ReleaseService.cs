using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Evaluation;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Releases;

/// <summary>A release as lists show it, with its place on the path.</summary>
public sealed record ReleaseView(PathRelease Release, bool IsStable, bool IsCandidate);

/// <summary>The release page's data (see <see cref="ReleaseService.PageAsync"/>).</summary>
public sealed record ReleasePageData(
    PathRelease Release, PathRelease? Stable, bool IsStable, bool IsCandidate, int CandidateShare, CanaryTrial? Trial,
    IReadOnlyList<CanaryLook> Looks, IReadOnlyList<AuditEntry> History, WinRate? WinRate = null);

/// <summary>A created (or already existing) release, whether this call made it, and its place on the path now.</summary>
public sealed record ReleaseCreated(PathRelease Release, bool Created, bool BecameStable, bool IsStable, bool IsCandidate);

/// <summary>
/// Creates and lists releases. A release is immutable and identified by its content
/// (<see cref="ReleaseContent"/>): posting the same content again returns the existing one. A
/// path's first release becomes its stable release (the path's config version bumps and decision
/// clients are told); later ones wait to be made candidate. Every new release is audited.
/// </summary>
public sealed class ReleaseService(IDbContextFactory<AppDbContext> dbFactory, AuditLog audit, Permissions permissions,
    IPathConfigPublisher publisher, PairwiseService pairwise, TimeProvider time)
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

    /// <summary>The default plan's first step: 1 % of the units the path is on for.</summary>
    public const int FirstStepShare = 10;

    public static string? CheckReason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? "Give a reason: it goes into the audit log."
        : reason.Trim().Length > MaxReasonLength ? $"The reason is at most {MaxReasonLength:N0} characters." : null;

    /// <summary>
    /// Makes a release the candidate at the first step of its canary plan (<see cref="CanaryPlan"/>):
    /// owners and admins. Refused while another candidate is in trial, for the stable release itself,
    /// or for a release of another path; a refused plan names its fields.
    /// </summary>
    public async Task<CommandResult<CanaryTrial>> StartCandidateAsync(string slug, CandidateInput input, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult<CanaryTrial>.Fail("Only the path's owners and admins can start a candidate.");
        }
        if (input.GateOverride is not null && !Permissions.May(user, ConsoleAction.OverrideGates))
        {
            return CommandResult<CanaryTrial>.Fail("Only an admin may override the evaluation gate.");
        }
        return await StartAsync(slug, input, AuditActor.From(user), ct);
    }

    /// <summary>
    /// The start for a caller that is not a person (an API key, the demo): the caller has checked that
    /// <paramref name="actor"/> may; an evaluation gate override is a person's (an admin's) and refused here.
    /// </summary>
    public Task<CommandResult<CanaryTrial>> StartCandidateAsync(string slug, CandidateInput input, AuditActor actor, CancellationToken ct) =>
        input.GateOverride is not null
            ? Task.FromResult(CommandResult<CanaryTrial>.Fail("Only an admin, signed in, may override the evaluation gate."))
            : StartAsync(slug, input, actor, ct);

    private async Task<CommandResult<CanaryTrial>> StartAsync(string slug, CandidateInput input, AuditActor actor, CancellationToken ct)
    {
        if (input.GateOverride is not null && CheckReason(input.GateOverride) is { } reasonProblem)
        {
            return CommandResult<CanaryTrial>.Invalid("gateOverride", reasonProblem);
        }
        var (trial, errors) = CanaryPlan.From(input);
        if (trial is null)
        {
            return CommandResult<CanaryTrial>.Invalid(errors);
        }
        var releaseId = trial.ReleaseId;
        var result = await ChangeAsync(slug, actor, ct, async (db, path) =>
        {
            if (!await db.Releases.AnyAsync(r => r.Id == releaseId && r.PathId == path.Id, ct))
            {
                return (CommandResult.Invalid("release", $"Path '{slug}' has no release '{releaseId}'."), null);
            }
            if (path.CandidateReleaseId is { } other)
            {
                return (CommandResult.Invalid("release", other == releaseId
                    ? "This release is already the candidate."
                    : $"Release {other[..12]} is the candidate in canary now: roll it back or let it finish first."), null);
            }
            if (path.StableReleaseId == releaseId)
            {
                return (CommandResult.Invalid("release", "This is the stable release; a candidate must be another release."), null);
            }
            object? gateOverride = null;
            var now = time.GetUtcNow().UtcDateTime;
            trial.PathId = path.Id;
            trial.StableReleaseId = path.StableReleaseId;
            trial.StartedAt = trial.StepStartedAt = now;
            trial.StartedById = actor.UserId;
            trial.StartedByName = actor.Name;
            var before = new { candidate = (string?)null, candidateShare = path.CandidateShare };
            if (trial.State == CanaryStates.Shadow)
            {
                // No unit gets the candidate yet: a sample of stable units also runs it, kept from users.
                path.CandidateShare = 0;
                path.ShadowShare = trial.ShadowShare;
            }
            else
            {
                var (refused, overridden) = await EnterFirstStepAsync(db, path, trial, input.GateOverride, ct);
                if (refused is not null)
                {
                    return (refused, null);
                }
                gateOverride = overridden;
            }
            db.CanaryTrials.Add(trial);
            path.CandidateReleaseId = releaseId;
            return (CommandResult.Ok(), ("release.candidate", releaseId, (object)before, (object)new
            {
                candidate = releaseId,
                candidateShare = path.CandidateShare,
                state = trial.State,
                shadowShare = path.ShadowShare,
                trial.MinWinRate,
                steps = trial.Steps.Select(s => new { s.Share, s.MinMinutes, s.MinReviewsPerArm, s.MaxMinutes }),
                trial.AutoAdvance,
                trial.Alpha,
                trial.QualityDrop,
                trial.ErrorRise,
                trial.LatencyRise,
                trial.CostRise,
                gateOverride,
            }));
        });
        return result.Succeeded ? CommandResult<CanaryTrial>.Ok(trial) : CommandResult<CanaryTrial>.From(result);
    }

    /// <summary>
    /// Where a candidate enters the first step of its canary plan: the direct start and the move out of
    /// shadow both come here, so whatever must hold before units get the candidate is checked in one
    /// place: the evaluation gate (<see cref="EvaluationGate"/>; an admin's written override lets a
    /// blocked candidate through and is returned for the audit entry) and the plan's minimum pairwise
    /// win rate. Returns the refusal, or null when the trial and the path now stand at the first step.
    /// </summary>
    private async Task<(CommandResult? Refused, object? Override)> EnterFirstStepAsync(AppDbContext db, OperatingPath path, CanaryTrial trial, string? gateOverride, CancellationToken ct)
    {
        var gate = await EvaluationGate.CheckAsync(db, path.Id, trial.ReleaseId, ct);
        if (gate.Blocks && gateOverride is null)
        {
            return (CommandResult.Fail($"The evaluation gate holds this candidate back: {gate.Summary} " +
                "Post a passing evaluation run, or an admin may override with a written reason."), null);
        }
        // Only an admin's principal gets here with an override (the public overloads check).
        var overridden = gate.Blocks ? new { gate = EvaluationGate.Name, gate.Summary, reason = gateOverride!.Trim() } : null;
        if (trial.MinWinRate is { } min)
        {
            var rate = WinRate.Of(await pairwise.CountsAsync(db, path.Id, trial.ReleaseId, ct));
            if (rate.Decisive == 0 || rate.Low < min)
            {
                return (CommandResult.Fail($"The candidate's pairwise win rate does not reach the plan's minimum yet: its lower 95 % bound is {rate.Low:P0} against a minimum of {min:P0} ({rate.Describe()})."), null);
            }
        }
        var now = time.GetUtcNow().UtcDateTime;
        // The canary compares arms from here: time in shadow gave the candidate no units.
        trial.StartedAt = trial.StepStartedAt = now;
        trial.StepIndex = 0;
        trial.State = CanaryStates.Running;
        trial.LastVerdict = null;
        path.CandidateShare = trial.Steps[0].Share;
        path.ShadowShare = 0;
        return (null, overridden);
    }

    /// <summary>Moves a candidate in shadow to the first step of its plan: owners and admins (or a key with releases:write).</summary>
    public async Task<CommandResult<CanaryTrial>> StartFromShadowAsync(string slug, ClaimsPrincipal user, CancellationToken ct, string? gateOverride = null)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult<CanaryTrial>.Fail("Only the path's owners and admins can start a candidate's canary.");
        }
        if (gateOverride is not null && !Permissions.May(user, ConsoleAction.OverrideGates))
        {
            return CommandResult<CanaryTrial>.Fail("Only an admin may override the evaluation gate.");
        }
        if (gateOverride is not null && CheckReason(gateOverride) is { } reasonProblem)
        {
            return CommandResult<CanaryTrial>.Invalid("gateOverride", reasonProblem);
        }
        return await StartFromShadowAsync(slug, AuditActor.From(user), gateOverride, ct);
    }

    /// <summary>The move itself; the caller has checked that <paramref name="actor"/> may. Refused (409) while the evaluation gate blocks or the plan's minimum win rate is not reached.</summary>
    public Task<CommandResult<CanaryTrial>> StartFromShadowAsync(string slug, AuditActor actor, CancellationToken ct) => StartFromShadowAsync(slug, actor, null, ct);

    private async Task<CommandResult<CanaryTrial>> StartFromShadowAsync(string slug, AuditActor actor, string? gateOverride, CancellationToken ct)
    {
        CanaryTrial? started = null;
        var result = await ChangeAsync(slug, actor, ct, async (db, path) =>
        {
            var trial = await ActiveTrialAsync(db, path.Id, ct);
            if (trial is not { State: CanaryStates.Shadow })
            {
                return (CommandResult.Outdated(trial is null ? "There is no candidate in shadow." : $"The candidate is not in shadow (it is {trial.State} at step {trial.StepIndex + 1})."), null);
            }
            var before = new { state = trial.State, shadowShare = path.ShadowShare, candidateShare = path.CandidateShare };
            var (refused, overridden) = await EnterFirstStepAsync(db, path, trial, gateOverride, ct);
            if (refused is not null)
            {
                return (refused, null);
            }
            started = trial;
            return (CommandResult.Ok(), ("canary.start", trial.ReleaseId, (object)before,
                (object)new { state = trial.State, step = trial.StepIndex, candidateShare = path.CandidateShare, shadowShare = 0, gateOverride = overridden }));
        });
        return result.Succeeded ? CommandResult<CanaryTrial>.Ok(started!) : CommandResult<CanaryTrial>.From(result);
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
        RollBackCandidateAsync(slug, reason, actor, trialId: null, ct);

    /// <param name="trialId">When set (the guarded canary), only this trial's candidate is rolled back: a later one is left alone.</param>
    public Task<CommandResult> RollBackCandidateAsync(string slug, string reason, AuditActor actor, long? trialId, CancellationToken ct) =>
        ChangeAsync(slug, actor, ct, async (db, path) =>
        {
            var trial = await ActiveTrialAsync(db, path.Id, ct);
            if (path.CandidateReleaseId is not { } candidate || (trialId is { } id && trial?.Id != id))
            {
                return (CommandResult.Fail("There is no candidate to roll back."), null);
            }
            var before = new { candidate, candidateShare = path.CandidateShare, step = trial?.StepIndex, state = trial?.State, shadowShare = path.ShadowShare };
            path.CandidateReleaseId = null;
            path.CandidateShare = 0;
            path.ShadowShare = 0;
            End(trial, CanaryStates.RolledBack, reason);
            return (CommandResult.Ok(), ("release.rollback", candidate, (object)before, (object)new { candidate = (string?)null, candidateShare = 0, reason, trial = trial?.Id }));
        });

    /// <summary>The path's trial that is not over (at most one: there is at most one candidate).</summary>
    public static Task<CanaryTrial?> ActiveTrialAsync(AppDbContext db, int pathId, CancellationToken ct) =>
        Active(db.CanaryTrials, pathId).FirstOrDefaultAsync(ct);

    /// <summary>The path's trials that are not over, newest first (one query shape for reads and for changes).</summary>
    private static IQueryable<CanaryTrial> Active(IQueryable<CanaryTrial> trials, int pathId) =>
        trials.Where(t => t.PathId == pathId && (t.State == CanaryStates.Shadow || t.State == CanaryStates.Running || t.State == CanaryStates.AwaitingApproval || t.State == CanaryStates.Paused))
            .OrderByDescending(t => t.Id);

    private void End(CanaryTrial? trial, string state, string reason)
    {
        if (trial is not null)
        {
            trial.State = state;
            trial.EndedAt = time.GetUtcNow().UtcDateTime;
            trial.EndReason = reason.Length > 2000 ? reason[..2000] : reason;
        }
    }

    /// <summary>
    /// Approves the next step of a trial whose step passed (four-eyes: an owner of the path or an
    /// admin, not the person who started the trial). <paramref name="seenStep"/> is the step the
    /// approver looked at: of two approvals at once only one advances it, the other is told.
    /// Approving the last step promotes the candidate.
    /// </summary>
    public async Task<CommandResult> ApproveStepAsync(string slug, int seenStep, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins can approve a canary step.");
        }
        var actor = AuditActor.From(user);
        return await ChangeAsync(slug, actor, ct, async (db, path) =>
        {
            var trial = await ActiveTrialAsync(db, path.Id, ct);
            if (trial is null)
            {
                return (CommandResult.Fail("There is no candidate in canary."), null);
            }
            if (trial.StartedById is { } starter && starter == actor.UserId)
            {
                return (CommandResult.Fail("You started this canary; a second owner or an admin must approve its steps."), null);
            }
            if (trial.State != CanaryStates.AwaitingApproval || trial.StepIndex != seenStep)
            {
                return (CommandResult.Outdated(trial.State == CanaryStates.AwaitingApproval
                    ? $"The canary is at step {trial.StepIndex + 1} now, not step {seenStep + 1}: look again."
                    : $"Step {seenStep + 1} is not waiting for approval (the canary is {trial.State} at step {trial.StepIndex + 1}): someone decided it meanwhile, or it has not passed."), null);
            }
            return Advance(path, trial, "approved by " + actor.Name);
        });
    }

    /// <summary>The guarded canary advancing a passed step by itself (the trial's plan says so), or promoting after the last.</summary>
    public Task<CommandResult> AdvanceAsync(string slug, long trialId, int passedStep, CancellationToken ct) =>
        ChangeAsync(slug, AuditActor.System, ct, async (db, path) =>
        {
            var trial = await ActiveTrialAsync(db, path.Id, ct);
            if (trial is null || trial.Id != trialId || trial.StepIndex != passedStep || trial.State is not (CanaryStates.Running or CanaryStates.AwaitingApproval))
            {
                return (CommandResult.Outdated("The canary moved meanwhile."), null);
            }
            return Advance(path, trial, "passed; the plan advances by itself");
        });

    /// <summary>Marks a passed step as waiting for an owner's approval (no change to what units get).</summary>
    public async Task<bool> AwaitApprovalAsync(long trialId, int passedStep, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryTrials.Where(t => t.Id == trialId && t.StepIndex == passedStep && t.State == CanaryStates.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, CanaryStates.AwaitingApproval), ct) == 1;
    }

    /// <summary>Pauses a running trial (inconclusive, or an invalid sample ratio): the candidate keeps its share, looks stop until resumed.</summary>
    public async Task<bool> PauseAsync(long trialId, int step, string reason, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryTrials.Where(t => t.Id == trialId && t.StepIndex == step && t.State == CanaryStates.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, CanaryStates.Paused).SetProperty(t => t.EndReason, reason), ct) == 1;
    }

    /// <summary>Resumes a paused trial: its step starts again (time and reviews counted afresh). Owners and admins.</summary>
    public async Task<CommandResult> ResumeAsync(string slug, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await permissions.MayAsync(user, PathAction.Edit, slug, ct))
        {
            return CommandResult.Fail("Only the path's owners and admins can resume a canary.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var write = await audit.BeginAsync(db, ct);
        var path = await db.Paths.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == slug, ct);
        var trial = path is null ? null : await ActiveTrialAsync(db, path.Id, ct);
        if (trial is not { State: CanaryStates.Paused })
        {
            return CommandResult.Outdated("The canary is not paused (any more).");
        }
        trial.State = CanaryStates.Running;
        trial.StepStartedAt = time.GetUtcNow().UtcDateTime;
        trial.EndReason = null;
        write.Record(AuditActor.From(user), "canary.resume", "release", trial.ReleaseId, slug, new { state = CanaryStates.Paused }, new { state = CanaryStates.Running, step = trial.StepIndex });
        await write.CommitAsync(ct);
        return CommandResult.Ok();
    }

    private (CommandResult, (string, string, object, object)?) Advance(OperatingPath path, CanaryTrial trial, string how)
    {
        var before = new { step = trial.StepIndex, candidateShare = path.CandidateShare, stable = path.StableReleaseId };
        if (trial.StepIndex + 1 >= trial.Steps.Count)
        {
            // Promotion: the candidate becomes stable; the previous stable stays listed for revert.
            path.StableReleaseId = trial.ReleaseId;
            path.CandidateReleaseId = null;
            path.CandidateShare = 0;
            End(trial, CanaryStates.Promoted, $"Step {trial.StepIndex + 1} {how}: promoted to stable.");
            return (CommandResult.Ok(), ("release.promote", trial.ReleaseId, before, new { stable = trial.ReleaseId, previousStable = before.stable, how }));
        }
        trial.StepIndex++;
        trial.StepStartedAt = time.GetUtcNow().UtcDateTime;
        trial.State = CanaryStates.Running;
        trial.LastVerdict = null;
        path.CandidateShare = trial.Steps[trial.StepIndex].Share;
        return (CommandResult.Ok(), ("canary.advance", trial.ReleaseId, before, new { step = trial.StepIndex, candidateShare = path.CandidateShare, how }));
    }

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
        return await RevertStableAsync(slug, releaseId, reason!.Trim(), AuditActor.From(user), ct);
    }

    /// <summary>The revert itself; the caller has checked that <paramref name="actor"/> may and that the reason is given.</summary>
    public Task<CommandResult> RevertStableAsync(string slug, string releaseId, string reason, AuditActor actor, CancellationToken ct) =>
        ChangeAsync(slug, actor, ct, async (db, path) =>
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
            return (CommandResult.Ok(), ("release.revert", releaseId, (object)before, (object)new { stable = releaseId, reason }));
        });

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

    /// <summary>The path's trial that is not over, or null.</summary>
    public async Task<CanaryTrial?> ActiveTrialAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pathId = await db.Paths.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        return pathId is { } id ? await Active(db.CanaryTrials.AsNoTracking(), id).FirstOrDefaultAsync(ct) : null;
    }

    /// <summary>What the release page shows: the release, stable to compare with, its latest trial and looks, its audited history.</summary>
    public async Task<ReleasePageData?> PageAsync(string slug, string releaseId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var path = await db.Paths.AsNoTracking().Where(p => p.Slug == slug)
            .Select(p => new { p.Id, p.StableReleaseId, p.CandidateReleaseId, p.CandidateShare }).FirstOrDefaultAsync(ct);
        var release = path is null ? null : await db.Releases.AsNoTracking().FirstOrDefaultAsync(r => r.Id == releaseId && r.PathId == path.Id, ct);
        if (path is null || release is null)
        {
            return null;
        }
        var stable = path.StableReleaseId is { } s && s != releaseId ? await db.Releases.AsNoTracking().FirstOrDefaultAsync(r => r.Id == s, ct) : null;
        var trial = await db.CanaryTrials.AsNoTracking().Where(t => t.ReleaseId == releaseId && t.PathId == path.Id).OrderByDescending(t => t.Id).FirstOrDefaultAsync(ct);
        var looks = trial is null ? [] : await db.CanaryLooks.AsNoTracking().Where(l => l.TrialId == trial.Id).OrderBy(l => l.At).ThenBy(l => l.Id).ToListAsync(ct);
        var history = await db.AuditEntries.AsNoTracking().Where(a => a.PathSlug == slug && a.TargetType == "release" && a.TargetId == releaseId)
            .OrderBy(a => a.Id).Take(500).ToListAsync(ct);
        // Pairs exist only for a release that ran in shadow; the query is cheap either way (one index range).
        var winRate = WinRate.Of(await pairwise.CountsAsync(db, path.Id, releaseId, ct));
        return new ReleasePageData(release, stable, path.StableReleaseId == releaseId, path.CandidateReleaseId == releaseId, path.CandidateShare, trial, looks, history,
            winRate.Decided > 0 || trial?.ShadowShare > 0 ? winRate : null);
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
