using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// This feature's tables on the shared context. The context itself names no feature (it applies
/// every entity configuration in the assembly), so Data stays below the features that own the rows.
/// </summary>
public static class PathsTables
{
    extension(AppDbContext db)
    {
        public DbSet<OperatingPath> Paths => db.Set<OperatingPath>();
        public DbSet<PathMember> PathMembers => db.Set<PathMember>();
        public DbSet<PathRelease> Releases => db.Set<PathRelease>();
    }
}
