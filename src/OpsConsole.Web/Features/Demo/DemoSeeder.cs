using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Demo;

/// <summary>Creates the demo users and paths of DESIGN.md where they are missing; running it again changes nothing.</summary>
public sealed class DemoSeeder(UserManager<AppUser> users, AppDbContext db, AuditLog audit, Releases.ReleaseService releases, TimeProvider time)
{
    public const string CanaryPath = "support-reply-draft";
    public const string StablePrompt = "reply-v12";
    public const string CandidatePrompt = "reply-v13";
    public const string Model = "gpt-4.1-mini-2025-04";

    /// <summary>
    /// The demo's canary: support-reply-draft's running release becomes stable and a new prompt the
    /// candidate, in a plan whose first step is 5 % of units. Only on a path that has no releases yet,
    /// so a restart (or a canary that already ended) is left as it is.
    /// </summary>
    public async Task SeedCanaryAsync(CancellationToken ct)
    {
        var pathId = await db.Paths.Where(p => p.Slug == CanaryPath).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct);
        if (pathId is null || await db.Set<PathRelease>().AnyAsync(r => r.PathId == pathId, ct))
        {
            return;
        }
        var stable = await releases.CreateAsync(CanaryPath, new Releases.ReleaseInput
        {
            Model = Model,
            PromptVersion = StablePrompt,
            PromptTemplateHash = "sha256:5be0c2",
            Parameters = System.Text.Json.JsonDocument.Parse("""{"temperature": 0.3, "maxTokens": 600}""").RootElement.Clone(),
            Context = System.Text.Json.JsonDocument.Parse("""{"retriever": "help-centre-v4", "topK": 4}""").RootElement.Clone(),
            Notes = "The release in production since spring.",
        }, AuditActor.System, ct);
        var candidate = await releases.CreateAsync(CanaryPath, new Releases.ReleaseInput
        {
            Model = Model,
            PromptVersion = CandidatePrompt,
            PromptTemplateHash = "sha256:a17e93",
            Parameters = System.Text.Json.JsonDocument.Parse("""{"temperature": 0.7, "maxTokens": 400}""").RootElement.Clone(),
            Context = System.Text.Json.JsonDocument.Parse("""{"retriever": "help-centre-v4", "topK": 2}""").RootElement.Clone(),
            Notes = "New prompt: shorter, friendlier replies with fewer retrieved articles.",
        }, AuditActor.System, ct);
        if (!stable.Succeeded || !candidate.Succeeded)
        {
            throw new InvalidOperationException("Demo seeding failed: " + (stable.Error ?? candidate.Error));
        }
        Releases.CanaryStepInput Step(int share) => new(share, 30, 30, 24 * 60);
        var started = await releases.StartCandidateAsync(CanaryPath,
            new Releases.CandidateInput(candidate.Value!.Release.Id, [Step(50), Step(250), Step(500), Step(1000)]), AuditActor.System, ct);
        if (!started.Succeeded)
        {
            throw new InvalidOperationException("Demo seeding failed: " + started.Error);
        }
    }

    public static readonly IReadOnlyList<(string Email, string Name, string Role)> DemoUsers =
    [
        ("admin@opsconsole.local", "Ada Admin", AppRoles.Admin),
        ("owner@opsconsole.local", "Omar Owner", AppRoles.PathOwner),
        ("owner2@opsconsole.local", "Olivia Owner", AppRoles.PathOwner),
        ("reviewer@opsconsole.local", "Rita Reviewer", AppRoles.Reviewer),
        ("oncall@opsconsole.local", "Oscar OnCall", AppRoles.OnCall),
        ("viewer@opsconsole.local", "Vera Viewer", AppRoles.Viewer),
    ];

    public static readonly IReadOnlyList<string> DemoPathSlugs = ["invoice-field-extraction", "support-reply-draft", "ticket-triage"];

    public async Task SeedAsync(string password, CancellationToken ct)
    {
        var ids = new Dictionary<string, string>();
        foreach (var (email, name, role) in DemoUsers)
        {
            var user = await users.FindByEmailAsync(email);
            if (user is null)
            {
                user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, CreatedAt = time.GetUtcNow().UtcDateTime };
                Check(await users.CreateAsync(user, password));
                Check(await users.AddToRoleAsync(user, role));
                await using var write = await audit.BeginAsync(db, ct);
                write.Record(AuditActor.System, "user.create", "user", user.Id, null, null, new { email, displayName = name, roles = new[] { role }, source = "demo" });
                await write.CommitAsync(ct);
            }
            ids[email] = user.Id;
        }

        foreach (var path in DemoPaths(ids))
        {
            if (await db.Paths.AnyAsync(p => p.Slug == path.Slug, ct))
            {
                continue;
            }
            await using var write = await audit.BeginAsync(db, ct);
            db.Paths.Add(path);
            write.Record(AuditActor.System, "path.create", "path", path.Slug, path.Slug, null,
                new { path.Slug, path.Name, path.RolloutPercent, path.ConfidenceThreshold, source = "demo" });
            await write.CommitAsync(ct);
            if (path.Slug == "support-reply-draft")
            {
                // A budget the demo traffic (about $100 a day on this path) stays well inside, so the dashboard's
                // budget card has something to show without opening incidents in a demo left running.
                db.Set<Budgets.PathBudget>().Add(new Budgets.PathBudget
                {
                    PathId = path.Id,
                    DailyUsd = 250,
                    MonthlyUsd = 5000,
                    UpdatedAt = time.GetUtcNow().UtcDateTime,
                    UpdatedBy = AuditActor.System.Name,
                });
                await db.SaveChangesAsync(ct);
            }
        }
    }

    private IEnumerable<OperatingPath> DemoPaths(Dictionary<string, string> ids)
    {
        var now = time.GetUtcNow().UtcDateTime;
        List<PathMember> Members() =>
        [
            new() { UserId = ids["owner@opsconsole.local"], Kind = PathMemberKind.Owner },
            new() { UserId = ids["owner2@opsconsole.local"], Kind = PathMemberKind.Owner },
            new() { UserId = ids["reviewer@opsconsole.local"], Kind = PathMemberKind.Reviewer },
        ];
        var onCall = ids["oncall@opsconsole.local"];

        yield return new OperatingPath
        {
            Slug = "support-reply-draft",
            Name = "Support reply draft",
            Description = "An LLM drafts replies to support tickets, citing help-centre articles; an agent edits and sends.",
            RolloutPercent = 25,
            ConfidenceThreshold = 0.70,
            QaSampleRate = 0.05,
            ReviewSlaMinutes = 60,
            ReviewGuidance = "Approve when the draft answers the customer's question and every claim is backed by a cited article. Correct tone or small factual slips; reject drafts that promise refunds or give account-specific advice.",
            FallbackMode = FallbackMode.RouteAway,
            Slo = new() { P95LatencyMs = 4000, CostPerRequestUsd = 0.02, QualityTarget = 0.85, MaxErrorRate = 0.02, MaxStaleContextRate = 0.20 },
            Boundaries = new()
            {
                MayRead = ["ticket thread", "help-centre articles", "customer plan"],
                MayWrite = ["draft reply"],
                MayTrigger = [],
                NeedsHumanConfirmation = ["send reply to customer"],
            },
            ContextSources = [new() { Name = "Help centre", SystemOfRecord = "Zendesk Guide", FreshnessSloMinutes = 1440 }, new() { Name = "Ticket", SystemOfRecord = "Zendesk", FreshnessSloMinutes = 5 }],
            Gates = new() { MinDecidedReviews = 100, MinQuality = 0.85, MaxP95LatencyMs = 4000, MaxCostPerRequestUsd = 0.02, MaxErrorRate = 0.02 },
            ReasonTags = ["hallucination", "wrong-tone", "missing-citation", "policy-violation", "incomplete"],
            BreakdownAttribute = "segment",
            OnCallUserId = onCall,
            Members = Members(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        yield return new OperatingPath
        {
            Slug = "invoice-field-extraction",
            Name = "Invoice field extraction",
            Description = "Fields (supplier, totals, VAT, due date) extracted from uploaded invoices before posting to accounts payable.",
            RolloutPercent = 100,
            ConfidenceThreshold = 0.85,
            QaSampleRate = 0.02,
            ReviewSlaMinutes = 240,
            ReviewGuidance = "Check every extracted field against the invoice image. Correct wrong values; reject when the document is not an invoice.",
            FallbackMode = FallbackMode.Rules,
            Slo = new() { P95LatencyMs = 2500, CostPerRequestUsd = 0.01, QualityTarget = 0.95, MaxErrorRate = 0.01 },
            Boundaries = new()
            {
                MayRead = ["invoice document"],
                MayWrite = ["extracted fields"],
                MayTrigger = ["posting to accounts payable below 1,000 EUR"],
                NeedsHumanConfirmation = ["posting at or above 1,000 EUR"],
            },
            ContextSources = [new() { Name = "Supplier master data", SystemOfRecord = "SAP", FreshnessSloMinutes = 1440 }],
            Gates = new() { MinDecidedReviews = 200, MinQuality = 0.95, MaxP95LatencyMs = 2500, MaxErrorRate = 0.01 },
            ReasonTags = ["wrong-amount", "wrong-date", "wrong-supplier", "not-an-invoice", "unreadable"],
            BreakdownAttribute = "segment",
            OnCallUserId = onCall,
            Members = Members(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        yield return new OperatingPath
        {
            Slug = "ticket-triage",
            Name = "Ticket triage",
            Description = "Incoming tickets classified by topic and urgency and routed to a queue.",
            RolloutPercent = 50,
            ConfidenceThreshold = 0.60,
            QaSampleRate = 0.05,
            ReviewSlaMinutes = 30,
            ReviewGuidance = "Approve when topic and urgency are right. Correct the label when the queue is wrong; reject spam or unreadable tickets.",
            FallbackMode = FallbackMode.Rules,
            Slo = new() { P95LatencyMs = 800, CostPerRequestUsd = 0.002, QualityTarget = 0.90, MaxErrorRate = 0.02 },
            Boundaries = new()
            {
                MayRead = ["ticket subject and body"],
                MayWrite = ["ticket labels"],
                MayTrigger = ["queue assignment"],
                NeedsHumanConfirmation = ["urgent escalation to on-call"],
            },
            ContextSources = [new() { Name = "Routing rules", SystemOfRecord = "Config repo", FreshnessSloMinutes = 60 }],
            Gates = new() { MinDecidedReviews = 100, MinQuality = 0.90, MaxP95LatencyMs = 800, MaxErrorRate = 0.02 },
            ReasonTags = ["wrong-topic", "wrong-urgency", "spam", "unreadable"],
            BreakdownAttribute = "segment",
            OnCallUserId = onCall,
            Members = Members(),
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Demo seeding failed: " + string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
