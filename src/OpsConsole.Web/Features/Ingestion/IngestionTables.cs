using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Ingestion;

/// <summary>
/// This feature's tables on the shared context. The context itself names no feature (it applies
/// every entity configuration in the assembly), so Data stays below the features that own the rows.
/// </summary>
public static class IngestionTables
{
    extension(AppDbContext db)
    {
        public DbSet<QuarantinedEvent> QuarantinedEvents => db.Set<QuarantinedEvent>();
    }
}
