using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PathRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PathRollups",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    ModelVersion = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Segment = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    BucketStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    BucketMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    Events = table.Column<long>(type: "INTEGER", nullable: false),
                    Ok = table.Column<long>(type: "INTEGER", nullable: false),
                    Errors = table.Column<long>(type: "INTEGER", nullable: false),
                    Timeouts = table.Column<long>(type: "INTEGER", nullable: false),
                    Fallbacks = table.Column<long>(type: "INTEGER", nullable: false),
                    CostUsd = table.Column<double>(type: "REAL", nullable: false),
                    InputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    OutputTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    Latency = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Confidence = table.Column<byte[]>(type: "BLOB", nullable: false),
                    RoutedLowConfidence = table.Column<long>(type: "INTEGER", nullable: false),
                    RoutedError = table.Column<long>(type: "INTEGER", nullable: false),
                    RoutedQaSample = table.Column<long>(type: "INTEGER", nullable: false),
                    Approved = table.Column<long>(type: "INTEGER", nullable: false),
                    Corrected = table.Column<long>(type: "INTEGER", nullable: false),
                    Rejected = table.Column<long>(type: "INTEGER", nullable: false),
                    QaApproved = table.Column<long>(type: "INTEGER", nullable: false),
                    QaDecided = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PathRollups", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PathRollups_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PathRollups_PathId_BucketMinutes_BucketStart_ModelVersion_Segment",
                table: "PathRollups",
                columns: new[] { "PathId", "BucketMinutes", "BucketStart", "ModelVersion", "Segment" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PathRollups");
        }
    }
}
