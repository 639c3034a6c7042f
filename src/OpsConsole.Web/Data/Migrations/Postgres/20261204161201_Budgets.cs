using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Budgets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ContainedBy",
                table: "Paths",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BudgetCrossings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    PathId = table.Column<int>(type: "integer", nullable: false),
                    Period = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    PeriodStart = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Level = table.Column<int>(type: "integer", nullable: false),
                    Metric = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Spent = table.Column<double>(type: "double precision", nullable: false),
                    Limit = table.Column<double>(type: "double precision", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ActionTaken = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    IncidentId = table.Column<long>(type: "bigint", nullable: true),
                    RolloutBefore = table.Column<int>(type: "integer", nullable: true),
                    RestoredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BudgetCrossings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BudgetCrossings_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PathBudgets",
                columns: table => new
                {
                    PathId = table.Column<int>(type: "integer", nullable: false),
                    DailyUsd = table.Column<double>(type: "double precision", nullable: true),
                    DailyTokens = table.Column<long>(type: "bigint", nullable: true),
                    MonthlyUsd = table.Column<double>(type: "double precision", nullable: true),
                    MonthlyTokens = table.Column<long>(type: "bigint", nullable: true),
                    WarnPercent = table.Column<int>(type: "integer", nullable: false),
                    SecondWarnPercent = table.Column<int>(type: "integer", nullable: false),
                    Action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    LowerToPercent = table.Column<int>(type: "integer", nullable: true),
                    RestoreAtReset = table.Column<bool>(type: "boolean", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PathBudgets", x => x.PathId);
                    table.ForeignKey(
                        name: "FK_PathBudgets_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PathSpends",
                columns: table => new
                {
                    PathId = table.Column<int>(type: "integer", nullable: false),
                    Period = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    PeriodStart = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CostUsd = table.Column<double>(type: "double precision", nullable: false),
                    Tokens = table.Column<long>(type: "bigint", nullable: false),
                    Events = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PathSpends", x => new { x.PathId, x.Period, x.PeriodStart });
                    table.ForeignKey(
                        name: "FK_PathSpends_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BudgetCrossings_PathId_Period_PeriodStart_Level",
                table: "BudgetCrossings",
                columns: new[] { "PathId", "Period", "PeriodStart", "Level" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BudgetCrossings");

            migrationBuilder.DropTable(
                name: "PathBudgets");

            migrationBuilder.DropTable(
                name: "PathSpends");

            migrationBuilder.DropColumn(
                name: "ContainedBy",
                table: "Paths");
        }
    }
}
