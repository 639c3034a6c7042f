using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// An immutable record of what a path runs: model, prompt version and template hash, parameters,
/// retrieval/context configuration, notes. <see cref="Id"/> is the SHA-256 (lowercase hex) of its
/// canonical JSON, path included, so the same content posted twice is the same release. A path
/// points at one stable release and at most one candidate (<see cref="OperatingPath.StableReleaseId"/>,
/// <see cref="OperatingPath.CandidateReleaseId"/>); the Releases feature creates and moves them.
/// </summary>
public sealed class PathRelease
{
    public const int IdLength = 64;

    public string Id { get; set; } = "";
    public int PathId { get; set; }
    public string Model { get; set; } = "";
    public string PromptVersion { get; set; } = "";
    public string? PromptTemplateHash { get; set; }
    /// <summary>A JSON object in canonical form ("{}" when none was given).</summary>
    public string ParametersJson { get; set; } = "{}";
    /// <summary>Retrieval and context configuration: a JSON object in canonical form ("{}" when none).</summary>
    public string ContextJson { get; set; } = "{}";
    public string Notes { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public string? CreatedById { get; set; }
    /// <summary>The user's name, or "key:" and the API key's name when CI created it.</summary>
    public string CreatedByName { get; set; } = "";
}

internal sealed class ReleaseConfiguration : IEntityTypeConfiguration<PathRelease>
{
    public void Configure(EntityTypeBuilder<PathRelease> b)
    {
        b.ToTable("Releases");
        b.HasKey(r => r.Id);
        b.Property(r => r.Id).HasMaxLength(PathRelease.IdLength);
        b.Property(r => r.Model).HasMaxLength(200);
        b.Property(r => r.PromptVersion).HasMaxLength(200);
        b.Property(r => r.PromptTemplateHash).HasMaxLength(200);
        b.Property(r => r.Notes).HasMaxLength(4000);
        b.Property(r => r.CreatedByName).HasMaxLength(300);
        b.HasIndex(r => new { r.PathId, r.CreatedAt });
        b.HasOne<OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>A release as the decision API, the config API and the client library see it.</summary>
public static class ReleaseConfigs
{
    public static OpsConsole.Client.ReleaseConfig From(PathRelease r) =>
        new(r.Id, r.Model, r.PromptVersion, r.PromptTemplateHash, Element(r.ParametersJson), Element(r.ContextJson));

    /// <summary>A stored JSON object (canonical text) as an element that outlives its document.</summary>
    public static System.Text.Json.JsonElement Element(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
