using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>A golden set of a path, by name; its content lives in immutable versions.</summary>
public sealed class EvalDataset
{
    public int Id { get; set; }
    public int PathId { get; set; }
    public string Name { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

/// <summary>One immutable version of a dataset: numbered 1, 2, … per dataset.</summary>
public sealed class EvalDatasetVersion
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public int Version { get; set; }
    public DateTime CreatedAt { get; set; }
    public string CreatedByName { get; set; } = "";
    /// <summary>How it was made: <c>upload</c>, <c>labels</c> or <c>edit</c>.</summary>
    public string Source { get; set; } = "";
    public int CaseCount { get; set; }
}

/// <summary>A case of a dataset version.</summary>
public sealed class EvalCase
{
    public long Id { get; set; }
    public long VersionId { get; set; }
    public string CaseId { get; set; } = "";
    public string Input { get; set; } = "";
    public string? Expected { get; set; }
    public bool Critical { get; set; }
    public List<string> Tags { get; set; } = [];
}

internal sealed class EvalDatasetConfiguration : IEntityTypeConfiguration<EvalDataset>
{
    public void Configure(EntityTypeBuilder<EvalDataset> b)
    {
        b.ToTable("EvalDatasets");
        b.Property(d => d.Name).HasMaxLength(DatasetJsonl.MaxNameLength);
        b.HasIndex(d => new { d.PathId, d.Name }).IsUnique();
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(d => d.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EvalDatasetVersionConfiguration : IEntityTypeConfiguration<EvalDatasetVersion>
{
    public void Configure(EntityTypeBuilder<EvalDatasetVersion> b)
    {
        b.ToTable("EvalDatasetVersions");
        b.Property(v => v.CreatedByName).HasMaxLength(300);
        b.Property(v => v.Source).HasMaxLength(20);
        b.HasIndex(v => new { v.DatasetId, v.Version }).IsUnique();
        b.HasOne<EvalDataset>().WithMany().HasForeignKey(v => v.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EvalCaseConfiguration : IEntityTypeConfiguration<EvalCase>
{
    public void Configure(EntityTypeBuilder<EvalCase> b)
    {
        b.ToTable("EvalCases");
        b.Property(c => c.CaseId).HasMaxLength(DatasetJsonl.MaxCaseIdLength);
        b.HasIndex(c => new { c.VersionId, c.CaseId }).IsUnique();
        b.HasOne<EvalDatasetVersion>().WithMany().HasForeignKey(c => c.VersionId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class EvaluationTables
{
    extension(AppDbContext db)
    {
        public DbSet<EvalDataset> EvalDatasets => db.Set<EvalDataset>();
        public DbSet<EvalDatasetVersion> EvalDatasetVersions => db.Set<EvalDatasetVersion>();
        public DbSet<EvalCase> EvalCases => db.Set<EvalCase>();
        public DbSet<EvaluationRun> EvaluationRuns => db.Set<EvaluationRun>();
        public DbSet<EvalCaseResult> EvalCaseResults => db.Set<EvalCaseResult>();
        public DbSet<EvaluationPolicy> EvaluationPolicies => db.Set<EvaluationPolicy>();
    }
}
