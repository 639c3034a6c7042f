using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Traces;

public static class TracesTables
{
    extension(AppDbContext db)
    {
        public DbSet<TraceSpan> TraceSpans => db.Set<TraceSpan>();
        public DbSet<UnroutedSpanSource> UnroutedSpanSources => db.Set<UnroutedSpanSource>();
        public DbSet<EventScore> EventScores => db.Set<EventScore>();
        public DbSet<ModelPrice> ModelPrices => db.Set<ModelPrice>();
    }
}
