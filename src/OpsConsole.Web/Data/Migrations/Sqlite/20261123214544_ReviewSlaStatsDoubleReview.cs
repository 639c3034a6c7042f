using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReviewSlaStatsDoubleReview : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "Agreement",
                table: "ReviewItems",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "DecisionCount",
                table: "ReviewItems",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "SlaNotifiedAt",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReviewersPerItem",
                table: "Paths",
                type: "INTEGER",
                nullable: false,
                // Existing paths keep single review.
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTime>(
                name: "ClaimedAt",
                table: "Labels",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Round",
                table: "Labels",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "Notifications",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Link = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ReadAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Notifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Notifications_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_UserId_ReadAt_Id",
                table: "Notifications",
                columns: new[] { "UserId", "ReadAt", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Notifications");

            migrationBuilder.DropColumn(
                name: "Agreement",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "DecisionCount",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "SlaNotifiedAt",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "ReviewersPerItem",
                table: "Paths");

            migrationBuilder.DropColumn(
                name: "ClaimedAt",
                table: "Labels");

            migrationBuilder.DropColumn(
                name: "Round",
                table: "Labels");
        }
    }
}
