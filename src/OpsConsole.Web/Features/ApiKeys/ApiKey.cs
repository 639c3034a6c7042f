using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.ApiKeys;

public static class ApiScopes
{
    public const string EventsWrite = "events:write";
    public const string DecisionsRead = "decisions:read";
    public const string LabelsRead = "labels:read";
    public const string ReleasesWrite = "releases:write";
    public const string EvaluationsWrite = "evaluations:write";

    public static readonly IReadOnlyList<string> All = [EventsWrite, DecisionsRead, LabelsRead, ReleasesWrite, EvaluationsWrite];
}

/// <summary>A credential an AI service sends as <c>Authorization: Bearer …</c>. Only the hash of the secret is kept.</summary>
public sealed class ApiKey
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The first characters of the secret, shown so people can tell keys apart.</summary>
    public string Prefix { get; set; } = "";
    /// <summary>SHA-256 of the whole secret, lowercase hex. Secrets are 160+ random bits, so no slow hash is needed.</summary>
    public string Hash { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
    /// <summary>Slugs of the paths the key may act on; empty when <see cref="AllPaths"/>.</summary>
    public List<string> PathSlugs { get; set; } = [];
    /// <summary>Every path, present and future (admins only).</summary>
    public bool AllPaths { get; set; }
    public string? CreatedById { get; set; }
    public string CreatedByName { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedByName { get; set; }
    /// <summary>Keys created from configuration (the demo key) are re-hashed at start rather than edited.</summary>
    public bool IsSystem { get; set; }
    /// <summary>
    /// Decision API requests (decision, config, OFREP) the key may make per minute on each instance;
    /// null for no budget. One noisy service then cannot crowd out the others' decisions.
    /// </summary>
    public int? DecisionRequestsPerMinute { get; set; }

    /// <summary>When the key stops working (UTC); null for never. Set at creation, kept by its successors as a lifetime.</summary>
    public DateTime? ExpiresAt { get; set; }

    /// <summary>The key that replaced this one by a rotation; null while it has none.</summary>
    public int? ReplacedById { get; set; }

    /// <summary>The key this one replaced by a rotation; null for a key created from scratch.</summary>
    public int? RotatedFromId { get; set; }

    /// <summary>
    /// A rotated key works until then (UTC), so services can switch to the successor without downtime;
    /// the authentication refuses it from this moment, and the sweep job records the revocation.
    /// </summary>
    public DateTime? GraceUntil { get; set; }

    /// <summary>When the creator was told the key enters its last <see cref="ApiKeyService.WarningDays"/> days; set once.</summary>
    public DateTime? ExpiryWarnedAt { get; set; }

    /// <summary>The moment the key stops working by time (its expiry or the end of its grace period, whichever is first); null for never.</summary>
    public DateTime? EndsAt => (ExpiresAt, GraceUntil) switch
    {
        (null, null) => null,
        ({ } e, null) => e,
        (null, { } g) => g,
        ({ } e, { } g) => e < g ? e : g,
    };

    /// <summary>The largest budget accepted: above it a budget limits nothing an instance could serve anyway.</summary>
    public const int MaxDecisionRequestsPerMinute = 1_000_000;
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("ApiKeys");
        b.Property(k => k.Name).HasMaxLength(100);
        b.Property(k => k.Prefix).HasMaxLength(16);
        b.Property(k => k.Hash).HasMaxLength(64);
        b.HasIndex(k => k.Hash).IsUnique();
        b.Property(k => k.CreatedByName).HasMaxLength(256);
        b.Property(k => k.RevokedByName).HasMaxLength(256);
        b.Ignore(k => k.EndsAt);
        // The sweep looks for grace periods that ended and expiries that come close.
        b.HasIndex(k => new { k.RevokedAt, k.GraceUntil });
        b.HasIndex(k => new { k.RevokedAt, k.ExpiresAt });
    }
}
