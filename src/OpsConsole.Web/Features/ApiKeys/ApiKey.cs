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
    }
}
