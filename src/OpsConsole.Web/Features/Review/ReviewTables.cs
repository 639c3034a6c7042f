using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Review;

/// <summary>
/// This feature's tables on the shared context. The context itself names no feature (it applies
/// every entity configuration in the assembly), so Data stays below the features that own the rows.
/// </summary>
public static class ReviewTables
{
    extension(AppDbContext db)
    {
        public DbSet<ReviewItem> ReviewItems => db.Set<ReviewItem>();
        public DbSet<ReviewLabel> Labels => db.Set<ReviewLabel>();
        public DbSet<PairwiseItem> PairwiseItems => db.Set<PairwiseItem>();
    }
}
